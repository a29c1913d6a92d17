// Internal to nlp/io: a read-only view of a whole file through mmap, shared by the tensors that
// view it, plus overflow-checked size arithmetic used by the checkpoint readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace nlp::io::detail {

// A private (copy-on-write) mapping of a file: tensors viewing it may be written in place
// without touching the file. Empty files are represented with data() == nullptr, size() == 0.
class MappedFile {
 public:
  // Throws nlp::Error naming `path` when it cannot be opened, is not a regular file, or mmap fails.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return static_cast<const std::uint8_t*>(addr_); }
  std::uint8_t* mutable_data() { return static_cast<std::uint8_t*>(addr_); }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  void* addr_ = nullptr;
  std::size_t size_ = 0;
  std::string path_;
};

// a * b without overflow; std::nullopt when it does not fit in uint64.
inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace nlp::io::detail
