// Internal to nlp/io (used by tests and benchmarks): builds the bytes of a torch.save-style
// archive - a stored zip of records and a protocol-2 state-dict pickle whose tensors are
// _rebuild_tensor_v2 views of persistent storages - the layout load_pytorch_bin reads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nlp::io::detail {

// A stored (uncompressed) zip archive of `records` in order (no ZIP64: below 4 GiB in all). `align` pads each local header's
// extra field so the record's data starts at a multiple of it (torch.save uses 64); 0 = no padding.
std::string make_stored_zip(const std::vector<std::pair<std::string, std::string>>& records, std::size_t align = 64);

// One tensor of a state-dict pickle: a view (offset, size, stride in elements) of storage `key`
// of `numel` elements of type torch.<storage_type> (e.g. "FloatStorage").
struct PickledTensor {
  std::string name, storage_type, key;
  std::int64_t numel, offset;
  std::vector<std::int64_t> size, stride;
};

// {name: torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()), ...}
// as torch.save pickles it (protocol 2; storages as ('storage', type, key, 'cpu', numel)).
// Integers are pickled as 4-byte BININT, so numel, offset, sizes and strides must be < 2^31.
std::string state_dict_pickle(const std::vector<PickledTensor>& tensors);

}  // namespace nlp::io::detail
