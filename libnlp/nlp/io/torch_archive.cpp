#include "nlp/io/torch_archive.h"

#include "nlp/io/zip.h"

namespace nlp::io::detail {

std::string make_stored_zip(const std::vector<std::pair<std::string, std::string>>& records, std::size_t align) {
  auto put = [](std::string& s, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  std::string out, central;
  for (const auto& [name, data] : records) {
    std::uint32_t crc = crc32(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    std::size_t offset = out.size();
    std::size_t pad = align ? (align - (offset + 30 + name.size()) % align) % align : 0;
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
  std::size_t cd_offset = out.size();
  out += central;
  put(out, 0x06054b50, 4); put(out, 0, 2); put(out, 0, 2); put(out, records.size(), 2); put(out, records.size(), 2);
  put(out, central.size(), 4); put(out, cd_offset, 4); put(out, 0, 2);
  return out;
}


// Protocol-2 pickle of {name: torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}
// laid out as torch.save writes it.
std::string state_dict_pickle(const std::vector<PickledTensor>& tensors) {
  std::string p = "\x80\x02}(";
  auto uni = [&](const std::string& s) {
    p += 'X';
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((s.size() >> (8 * i)) & 0xFF));
    p += s;
  };
  auto integer = [&](std::int64_t v) {
    p += 'J';
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF));
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

}  // namespace nlp::io::detail
