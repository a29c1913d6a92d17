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

// ---- writers of hand-made torch.save archives (for views, offsets and corrupted inputs) ----
#include "nlp/io/zip.h"

namespace nlp::test {

// A stored (uncompressed) zip archive holding `records` in order, as torch.save lays them out.
// `align` pads each local header's extra field so data starts at a multiple of it (torch: 64).
inline std::string make_zip(const std::vector<std::pair<std::string, std::string>>& records, size_t align = 64) {
  auto put = [](std::string& s, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  std::string out, central;
  for (const auto& [name, data] : records) {
    uint32_t crc = nlp::io::detail::crc32(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    size_t offset = out.size();
    size_t pad = align ? (align - (offset + 30 + name.size()) % align) % align : 0;
    if (pad && pad < 4) pad += align;  // an extra field needs at least its 4-byte header
    put(out, 0x04034b50, 4); put(out, 20, 2); put(out, 0, 2); put(out, 0, 2); put(out, 0, 2); put(out, 0, 2);
    put(out, crc, 4); put(out, data.size(), 4); put(out, data.size(), 4); put(out, name.size(), 2); put(out, pad, 2);
    out += name;
    if (pad) { put(out, 0xCAFE, 2); put(out, pad - 4, 2); out.append(pad - 4, 'Z'); }
    out += data;
    put(central, 0x02014b50, 4); put(central, 20, 2); put(central, 20, 2); put(central, 0, 2); put(central, 0, 2);
    put(central, 0, 2); put(central, 0, 2); put(central, crc, 4); put(central, data.size(), 4); put(central, data.size(), 4);
    put(central, name.size(), 2); put(central, 0, 2); put(central, 0, 2); put(central, 0, 2); put(central, 0, 2);
    put(central, 0, 4); put(central, offset, 4);
    central += name;
  }
  size_t cd_offset = out.size();
  out += central;
  put(out, 0x06054b50, 4); put(out, 0, 2); put(out, 0, 2); put(out, records.size(), 2); put(out, records.size(), 2);
  put(out, central.size(), 4); put(out, cd_offset, 4); put(out, 0, 2);
  return out;
}

// One tensor of a hand-made state-dict pickle: a view of storage `key`.
struct PickledTensor {
  std::string name, storage_type, key;  // storage_type e.g. "FloatStorage"
  int64_t numel, offset;
  std::vector<int64_t> size, stride;
};

// Protocol-2 pickle of {name: torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}
// laid out as torch.save writes it.
inline std::string state_dict_pickle(const std::vector<PickledTensor>& tensors) {
  std::string p = "\x80\x02}(";
  auto uni = [&](const std::string& s) {
    p += 'X';
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((s.size() >> (8 * i)) & 0xFF));
    p += s;
  };
  auto integer = [&](int64_t v) {
    p += 'J';
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF));
  };
  for (const auto& t : tensors) {
    uni(t.name);
    p += "ctorch._utils\n_rebuild_tensor_v2\n((";
    uni("storage");
    p += "ctorch\n" + t.storage_type + "\n";
    uni(t.key);
    uni("cpu");
    integer(t.numel);
    p += "tQ";
    integer(t.offset);
    p += '(';
    for (auto s : t.size) integer(s);
    p += "t(";
    for (auto s : t.stride) integer(s);
    p += "t\x89" "ccollections\nOrderedDict\n)Rt";
    p += 'R';
  }
  p += "u.";
  return p;
}

}  // namespace nlp::test
