// Checkpoint I/O: safetensors (memory-mapped, validated), PyTorch `pytorch_model.bin`
// (zip + bounded unpickler), sharded checkpoints (*.index.json), and whole model folders.
//
// A StateDict maps Hugging Face parameter names ("bert.encoder.layer.0.attention.self.query.weight")
// to CPU tensors in the dtype stored in the file. Name mapping onto modules (prefixes, legacy
// gamma/beta, tied weights) is done by the model loader (nlp/models/loading.h), not here.
//
// Errors: every malformed file raises nlp::Error whose message starts with the file path and
// names the problem (e.g. "x.safetensors: tensor 'a.weight': data offsets [0, 96) overlap 'b'").
#pragma once

#include <map>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace nlp::io {

using StateDict = std::map<std::string, at::Tensor>;

// ---- safetensors (https://github.com/huggingface/safetensors format) ----
// Memory-maps `path`, validates the header (8-byte little-endian length within the file, JSON
// object, known dtypes F64/F32/F16/BF16/I64/I32/I16/I8/U8/BOOL, shapes, data offsets inside the
// data region, no overlaps, end - begin == numel * itemsize) and returns tensors viewing the map
// (the mapping lives as long as any returned tensor). `metadata` receives "__metadata__".
StateDict load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

// Writes tensors (made contiguous, moved to CPU) atomically (temp + rename), keys sorted,
// with optional "__metadata__" (e.g. {"format": "pt"} as transformers writes).
void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// ---- PyTorch pickle checkpoints ----
// Reads a `torch.save` zip archive holding a state dict (OrderedDict of tensors, as
// transformers writes pytorch_model.bin). Only the pickle opcodes and globals a state dict
// needs are accepted (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch.*Storage, ...); anything else is refused with nlp::Error naming the global.
StateDict load_pytorch_bin(const std::string& path);

// ---- sharded checkpoints ----
// Reads a Hugging Face shard index (model.safetensors.index.json or pytorch_model.bin.index.json:
// {"metadata": {...}, "weight_map": {"<tensor name>": "<shard file>"}}), loads every shard named
// (relative to the index's folder; each with load_weights_file) and returns the union. Throws
// nlp::Error naming the index when a shard file is missing, a weight_map key is absent from its
// shard, or a tensor appears in two shards. `files` (optional) receives the shard paths read.
StateDict load_sharded(const std::string& index_path, std::vector<std::string>* files = nullptr);

// ---- model folders ----
enum class CheckpointFormat { Safetensors, PytorchBin };

struct LoadedCheckpoint {
  StateDict tensors;
  CheckpointFormat format;
  std::vector<std::string> files;  // the files read (several for sharded checkpoints)
};

// Loads the weights of a Hugging Face model folder. Looks for, in order: model.safetensors,
// model.safetensors.index.json (sharded), pytorch_model.bin, pytorch_model.bin.index.json.
// `prefer` chooses the format when both exist. Throws nlp::Error when none is present.
LoadedCheckpoint load_checkpoint_dir(const std::string& dir,
                                     CheckpointFormat prefer = CheckpointFormat::Safetensors);

// Loads a single weights file by its name: *.safetensors, *.bin / *.pt / *.pth (PyTorch zip),
// *.index.json (sharded). Throws nlp::Error for any other name.
StateDict load_weights_file(const std::string& path);

const char* format_name(CheckpointFormat f);  // "safetensors" / "pytorch_model.bin"

}  // namespace nlp::io
