#include "nlp/io/zip.h"

#include <array>

#include "nlp/util/error.h"

namespace nlp::io::detail {
namespace {

constexpr std::uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50,
                        kZip64EocdSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;

std::uint64_t le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::array<std::array<std::uint32_t, 256>, 8> make_crc_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

}  // namespace

std::uint32_t crc32(const std::uint8_t* p, std::size_t n, std::uint32_t crc) {
  static const auto t = make_crc_tables();
  crc = ~crc;
  while (n >= 8) {
    std::uint32_t a = crc ^ static_cast<std::uint32_t>(le(p, 4));
    std::uint32_t b = static_cast<std::uint32_t>(le(p + 4, 4));
    crc = t[7][a & 0xFF] ^ t[6][(a >> 8) & 0xFF] ^ t[5][(a >> 16) & 0xFF] ^ t[4][a >> 24] ^ t[3][b & 0xFF] ^
          t[2][(b >> 8) & 0xFF] ^ t[1][(b >> 16) & 0xFF] ^ t[0][b >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

ZipArchive::ZipArchive(std::shared_ptr<MappedFile> file) : file_(std::move(file)) {
  const std::string& path = file_->path();
  const std::uint8_t* d = file_->data();
  const std::uint64_t size = file_->size();
  auto bad = [&](const std::string& what) { fail(path, "not a valid zip archive: " + what); };

  // End of central directory: 22 bytes + a comment of up to 65535 bytes at the end of the file.
  if (size < 22)
    fail(path, "not a zip archive (" + std::to_string(size) + " bytes; too small; a legacy torch.save file or truncated?)");
  std::uint64_t eocd = size;  // not found
  std::uint64_t lowest = size >= 22 + 65535 ? size - 22 - 65535 : 0;
  for (std::uint64_t pos = size - 22 + 1; pos-- > lowest;) {
    if (le(d + pos, 4) == kEocdSig && pos + 22 + le(d + pos + 20, 2) == size) {
      eocd = pos;
      break;
    }
  }
  if (eocd == size)
    fail(path, "not a zip archive (no end-of-central-directory record; truncated, or a legacy pre-1.6 "
               "torch.save file, which is not supported)");
  std::uint64_t count = le(d + eocd + 10, 2), cd_size = le(d + eocd + 12, 4), cd_offset = le(d + eocd + 16, 4);
  std::uint64_t cd_end_limit = eocd;
  if (eocd >= 20 && le(d + eocd - 20, 4) == kZip64LocatorSig) {
    std::uint64_t z = le(d + eocd - 20 + 8, 8);
    if (z > eocd - 20 || eocd - 20 - z < 56 || le(d + z, 4) != kZip64EocdSig) bad("ZIP64 end-of-central-directory record out of place");
    count = le(d + z + 32, 8);
    cd_size = le(d + z + 40, 8);
    cd_offset = le(d + z + 48, 8);
    cd_end_limit = z;
  }
  if (cd_offset > cd_end_limit || cd_size > cd_end_limit - cd_offset)
    bad("central directory [" + std::to_string(cd_offset) + ", +" + std::to_string(cd_size) + ") lies outside the file");
  if (count > cd_size / 46) bad("central directory claims " + std::to_string(count) + " entries in " + std::to_string(cd_size) + " bytes");

  std::uint64_t pos = cd_offset;
  const std::uint64_t cd_end = cd_offset + cd_size;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (cd_end - pos < 46 || le(d + pos, 4) != kCentralSig) bad("central directory entry " + std::to_string(i) + " is malformed");
    ZipEntry e;
    e.method = static_cast<std::uint16_t>(le(d + pos + 10, 2));
    e.crc32 = static_cast<std::uint32_t>(le(d + pos + 16, 4));
    e.compressed_size = le(d + pos + 20, 4);
    e.size = le(d + pos + 24, 4);
    std::uint64_t name_len = le(d + pos + 28, 2), extra_len = le(d + pos + 30, 2), comment_len = le(d + pos + 32, 2);
    std::uint64_t local = le(d + pos + 42, 4);
    if (cd_end - pos - 46 < name_len + extra_len + comment_len) bad("central directory entry " + std::to_string(i) + " runs past the directory");
    e.name.assign(reinterpret_cast<const char*>(d + pos + 46), name_len);
    // ZIP64 extended information: the 64-bit values of the fields saturated at 0xFFFFFFFF, in order.
    const std::uint8_t* x = d + pos + 46 + name_len;
    for (std::uint64_t k = 0; k + 4 <= extra_len;) {
      std::uint64_t id = le(x + k, 2), len = le(x + k + 2, 2);
      if (k + 4 + len > extra_len) bad("entry '" + e.name + "': extra field runs past its header");
      if (id == 0x0001) {
        std::uint64_t off = k + 4, end = k + 4 + len;
        auto take = [&](std::uint64_t& field) {
          if (field != 0xFFFFFFFFu) return;
          if (end - off < 8) bad("entry '" + e.name + "': ZIP64 extra field too short");
          field = le(x + off, 8);
          off += 8;
        };
        take(e.size);
        take(e.compressed_size);
        take(local);
      }
      k += 4 + len;
    }
    // Local header: its own name and extra lengths decide where the data starts.
    if (local > size || size - local < 30 || le(d + local, 4) != kLocalSig)
      bad("entry '" + e.name + "': local header at offset " + std::to_string(local) + " is missing or out of range");
    std::uint64_t data = local + 30 + le(d + local + 26, 2) + le(d + local + 28, 2);
    if (data > size || e.compressed_size > size - data)
      fail(path, "zip entry '" + e.name + "': data [" + std::to_string(data) + ", +" + std::to_string(e.compressed_size) +
                     ") runs past the end of the file (" + std::to_string(size) + " bytes; truncated?)");
    e.data_offset = data;
    if (!entries_.emplace(e.name, e).second) bad("entry '" + e.name + "' appears twice");
    pos += 46 + name_len + extra_len + comment_len;
  }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::uint8_t* ZipArchive::data(const ZipEntry& e) const {
  if (e.method != 0 || e.compressed_size != e.size)
    fail(file_->path(), "zip entry '" + e.name + "' is compressed (method " + std::to_string(e.method) +
                            "); torch.save writes stored entries only");
  std::uint8_t* p = file_->mutable_data() + e.data_offset;
  std::uint32_t crc = crc32(p, e.size);
  if (crc != e.crc32)
    fail(file_->path(), "zip entry '" + e.name + "': CRC-32 mismatch (data corrupted)");
  return p;
}

}  // namespace nlp::io::detail
