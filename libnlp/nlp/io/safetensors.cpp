// safetensors reader and writer.
//
// Format (huggingface/safetensors): 8-byte little-endian header length N, then N bytes of JSON
// {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}},
// then the data region; offsets are relative to the data region start. The reference writer
// orders tensors by dtype (wider kinds first, see kWriteRank) then name, lists them in the header
// in that same order after "__metadata__", and pads the header with spaces to a multiple of 8.
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>

#include "nlp/io/checkpoint.h"
#include "nlp/io/mapped_file.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"

namespace nlp::io {
namespace {

static_assert(sizeof(std::size_t) == 8, "64-bit host required");

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
  std::uint64_t itemsize;
  int write_rank;  // position of the dtype in the reference writer's enum (higher written first)
};

// Ranks follow the order of the reference implementation's Dtype enum (BOOL < U8 < I8 < I16 <
// F16 < BF16 < I32 < F32 < F64 < I64); its writer sorts by that order, descending, then by name.
constexpr DtypeInfo kDtypes[] = {
    {"F64", at::kDouble, 8, 12}, {"F32", at::kFloat, 4, 11}, {"F16", at::kHalf, 2, 7},
    {"BF16", at::kBFloat16, 2, 8}, {"I64", at::kLong, 8, 13}, {"I32", at::kInt, 4, 9},
    {"I16", at::kShort, 2, 5},  {"I8", at::kChar, 1, 2},     {"U8", at::kByte, 1, 1},
    {"BOOL", at::kBool, 1, 0},
};
constexpr const char* kDtypeList = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;  // same limit as the reference reader
constexpr std::size_t kMaxRank = 64;

const DtypeInfo* dtype_by_name(const std::string& s) {
  for (const auto& d : kDtypes)
    if (s == d.name) return &d;
  return nullptr;
}

const DtypeInfo* dtype_by_type(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (t == d.type) return &d;
  return nullptr;
}

std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string range_str(std::uint64_t b, std::uint64_t e) {
  return "[" + std::to_string(b) + ", " + std::to_string(e) + ")";
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin, end;
};

std::uint64_t read_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Parses the JSON header, rejecting duplicate top-level keys and absurd nesting.
json parse_header(const std::string& path, const char* begin, const char* end) {
  std::set<std::string> seen;
  std::string duplicate;
  bool too_deep = false;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > 8) too_deep = true;
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      if (!seen.insert(parsed.get<std::string>()).second && duplicate.empty()) duplicate = parsed.get<std::string>();
    }
    return !too_deep;
  };
  json h;
  try {
    h = json::parse(begin, end, cb);
  } catch (const json::exception& e) {
    fail(path, std::string("invalid JSON header: ") + e.what());
  }
  if (too_deep) fail(path, "invalid header: JSON nested deeper than a safetensors header can be");
  if (!duplicate.empty()) fail(path, "invalid header: tensor '" + duplicate + "' appears twice");
  if (!h.is_object()) fail(path, std::string("invalid header: expected a JSON object but got ") + h.type_name());
  return h;
}

Entry parse_entry(const std::string& path, const std::string& name, const json& v, std::uint64_t data_size) {
  const std::string where = "tensor '" + name + "'";
  if (!v.is_object()) fail(path, where + ": expected an object with dtype, shape, data_offsets but got " + v.dump());
  Entry e;
  e.name = name;
  // dtype
  auto it = v.find("dtype");
  if (it == v.end() || !it->is_string()) fail(path, where + ": field 'dtype': expected a string (one of " + kDtypeList + ")");
  e.dtype = dtype_by_name(it->get<std::string>());
  if (!e.dtype)
    fail(path, where + ": unknown dtype '" + it->get<std::string>() + "' (expected one of " + kDtypeList + ")");
  // shape
  it = v.find("shape");
  if (it == v.end() || !it->is_array() || it->size() > kMaxRank)
    fail(path, where + ": field 'shape': expected a list of at most 64 non-negative integers");
  std::uint64_t numel = 1, nonzero_product = 1;
  for (const auto& d : *it) {
    if (!d.is_number_unsigned())
      fail(path, where + ": field 'shape': expected non-negative integers but got " + it->dump());
    std::uint64_t n = d.get<std::uint64_t>();
    auto p = detail::checked_mul(nonzero_product, n == 0 ? 1 : n);
    if (!p || *p > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(path, where + ": field 'shape': " + it->dump() + " has too many elements");
    nonzero_product = *p;
    numel *= n;  // cannot overflow: bounded by nonzero_product unless it became 0
    e.shape.push_back(static_cast<std::int64_t>(n));
  }
  // data_offsets
  it = v.find("data_offsets");
  if (it == v.end() || !it->is_array() || it->size() != 2 || !(*it)[0].is_number_unsigned() ||
      !(*it)[1].is_number_unsigned())
    fail(path, where + ": field 'data_offsets': expected [begin, end] with non-negative integers");
  e.begin = (*it)[0].get<std::uint64_t>();
  e.end = (*it)[1].get<std::uint64_t>();
  if (e.begin > e.end)
    fail(path, where + ": data offsets " + range_str(e.begin, e.end) + " have begin > end");
  if (e.end > data_size)
    fail(path, where + ": data offsets " + range_str(e.begin, e.end) + " are out of range: the data region holds " +
                   std::to_string(data_size) + " bytes");
  auto bytes = detail::checked_mul(numel, e.dtype->itemsize);
  if (!bytes || *bytes != e.end - e.begin)
    fail(path, where + ": data offsets " + range_str(e.begin, e.end) + " hold " + std::to_string(e.end - e.begin) +
                   " bytes but shape " + shape_str(e.shape) + " of " + e.dtype->name + " needs " +
                   (bytes ? std::to_string(*bytes) : std::string("more than 2^64")) + " bytes (numel * itemsize)");
  return e;
}

}  // namespace

StateDict load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  auto file = detail::MappedFile::open(path);
  const std::uint64_t size = file->size();
  if (size < 8)
    fail(path, "file is too small to be safetensors (" + std::to_string(size) +
                   " bytes; the 8-byte header length alone needs 8)");
  const std::uint64_t header_len = read_le64(file->data());
  if (header_len > size - 8)
    fail(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                   std::to_string(size) + " bytes; truncated or not a safetensors file?)");
  if (header_len > kMaxHeaderBytes)
    fail(path, "header length " + std::to_string(header_len) + " exceeds the 100 MiB limit");
  const char* hbegin = reinterpret_cast<const char*>(file->data() + 8);
  json header = parse_header(path, hbegin, hbegin + header_len);

  const std::uint64_t data_size = size - 8 - header_len;
  std::vector<Entry> entries;
  entries.reserve(header.size());
  if (metadata) metadata->clear();
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail(path, "__metadata__: expected an object of string values but got " + it->dump());
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          fail(path, "__metadata__: field '" + m.key() + "': expected a string but got " + m->dump());
        if (metadata) (*metadata)[m.key()] = m->get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, it.key(), *it, data_size));
  }

  // No two tensors may share bytes (empty ranges overlap nothing).
  std::vector<const Entry*> by_offset;
  for (const auto& e : entries)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin || (a->begin == b->begin && a->end < b->end); });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const Entry& a = *by_offset[i - 1];
    const Entry& b = *by_offset[i];
    if (b.begin < a.end)
      fail(path, "tensor '" + b.name + "': data offsets " + range_str(b.begin, b.end) + " overlap tensor '" + a.name +
                     "' " + range_str(a.begin, a.end));
  }

  StateDict out;
  std::uint8_t* data = file->mutable_data() + 8 + header_len;
  for (const auto& e : entries) {
    std::uint8_t* p = data + e.begin;
    auto opts = at::TensorOptions().dtype(e.dtype->type).device(at::kCPU);
    if (e.dtype->type == at::kBool) {
      for (std::uint64_t i = e.begin; i < e.end; ++i)
        if (data[i] > 1)
          fail(path, "tensor '" + e.name + "': BOOL data holds byte value " + std::to_string(data[i]) +
                         " at offset " + std::to_string(i) + " (expected 0 or 1)");
    }
    at::Tensor t;
    if (reinterpret_cast<std::uintptr_t>(p) % e.dtype->itemsize == 0) {
      // View the mapping; the deleter holds the mapping alive as long as the tensor's storage.
      t = at::from_blob(p, e.shape, [file](void*) {}, opts);
    } else {
      // Misaligned for its element type (possible in files not written by the reference
      // writer): copy into an aligned allocation.
      t = at::empty(e.shape, opts);
      if (e.end > e.begin) std::memcpy(t.data_ptr(), p, e.end - e.begin);
    }
    out.emplace(e.name, std::move(t));
  }
  return out;
}

void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  struct Item {
    const std::string* name;
    const DtypeInfo* dtype;
    at::Tensor t;
  };
  std::vector<Item> items;
  items.reserve(tensors.size());
  for (const auto& [name, t0] : tensors) {
    if (name == "__metadata__") fail(path, "cannot save a tensor named '__metadata__' (reserved by the format)");
    if (!t0.defined()) fail(path, "cannot save tensor '" + name + "': it is undefined");
    if (t0.layout() != at::kStrided) fail(path, "cannot save tensor '" + name + "': only dense (strided) tensors are supported");
    const DtypeInfo* d = dtype_by_type(t0.scalar_type());
    if (!d)
      fail(path, "cannot save tensor '" + name + "': dtype " + std::string(c10::toString(t0.scalar_type())) +
                     " has no safetensors equivalent here (supported: " + kDtypeList + ")");
    items.push_back({&name, d, t0.detach().to(at::kCPU).contiguous()});
  }
  // Reference writer order: dtype rank descending, then name.
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.dtype->write_rank != b.dtype->write_rank) return a.dtype->write_rank > b.dtype->write_rank;
    return *a.name < *b.name;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  std::uint64_t offset = 0;
  for (const auto& it : items) {
    std::uint64_t bytes = static_cast<std::uint64_t>(it.t.numel()) * it.dtype->itemsize;
    nlohmann::ordered_json e = nlohmann::ordered_json::object();
    e["dtype"] = it.dtype->name;
    e["shape"] = it.t.sizes().vec();
    e["data_offsets"] = {offset, offset + bytes};
    header[*it.name] = std::move(e);
    offset += bytes;
  }
  std::string hjson = header.dump();
  hjson.append((8 - hjson.size() % 8) % 8, ' ');
  std::uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(hjson.size()) >> (8 * i));

  write_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, "cannot open temporary file '" + tmp + "' for writing");
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(hjson.data(), static_cast<std::streamsize>(hjson.size()));
    for (const auto& it : items) {
      std::uint64_t bytes = static_cast<std::uint64_t>(it.t.numel()) * it.dtype->itemsize;
      if (bytes) out.write(static_cast<const char*>(it.t.data_ptr()), static_cast<std::streamsize>(bytes));
    }
    out.flush();
    if (!out) fail(path, "write error (disk full?)");
  });
}

}  // namespace nlp::io
