// Helpers shared by the checkpoint I/O tests (tests/torch/test_io_*.cpp).
#pragma once

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "nlp/util/error.h"
#include "support/shared.h"

namespace nlp::test {

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nlp_io_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    REQUIRE(::mkdtemp(buf.data()) != nullptr);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Every fixture folder under shared/fixtures/hf, sorted.
inline std::vector<std::string> fixture_dirs() {
  std::string root = shared_path("fixtures/hf");
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(root))
    if (e.is_directory()) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Same dtype, shape and bytes (NaN payloads included).
inline bool bit_equal(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  at::Tensor ca = a.contiguous(), cb = b.contiguous();
  size_t n = static_cast<size_t>(ca.numel()) * ca.element_size();
  return n == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), n) == 0;
}

// Runs `f`, requires it to throw nlp::Error, and requires the message to contain every part.
inline void require_error(const std::function<void()>& f, std::initializer_list<std::string> parts) {
  std::string msg;
  try {
    f();
  } catch (const nlp::Error& e) {
    msg = e.what();
  } catch (const std::exception& e) {
    FAIL("expected nlp::Error but got another exception: " << e.what());
  }
  INFO("error message: " << msg);
  REQUIRE_FALSE(msg.empty());
  for (const auto& p : parts) CHECK_THAT(msg, Catch::Matchers::Contains(p));
}

}  // namespace nlp::test
