// Internal to nlp/io: a bounded reader of the uncompressed ("stored") zip archives that
// torch.save writes (PKWARE APPNOTE 6.3: end of central directory, ZIP64 records, central and
// local headers). Every offset and length is checked against the file before use.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nlp/io/mapped_file.h"

namespace nlp::io::detail {

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0 = stored; anything else is refused when the entry is read
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;         // uncompressed size
  std::uint64_t data_offset = 0;  // where the entry's bytes start in the file
};

class ZipArchive {
 public:
  // Parses the central directory of `file`. Throws nlp::Error naming the file when it is not a
  // zip archive or any record is inconsistent (offsets past the end, duplicate names, ...).
  explicit ZipArchive(std::shared_ptr<MappedFile> file);

  const std::map<std::string, ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // Pointer to the stored bytes of `e` after checking the method and the CRC-32.
  std::uint8_t* data(const ZipEntry& e) const;
  const std::shared_ptr<MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<MappedFile> file_;
  std::map<std::string, ZipEntry> entries_;
};

// CRC-32 (IEEE 802.3, as zip uses), slicing-by-8.
std::uint32_t crc32(const std::uint8_t* data, std::size_t n, std::uint32_t crc = 0);

}  // namespace nlp::io::detail
