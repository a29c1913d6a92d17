// Model folders, weights files by name, and sharded checkpoints.
#include "nlp/io/checkpoint.h"

#include <filesystem>
#include <set>

#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"

namespace nlp::io {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const char* format_name(CheckpointFormat f) {
  switch (f) {
    case CheckpointFormat::Safetensors: return "safetensors";
    case CheckpointFormat::PytorchBin: return "pytorch_model.bin";
  }
  return "unknown";
}

StateDict load_weights_file(const std::string& path) {
  if (ends_with(path, ".index.json")) return load_sharded(path);
  if (ends_with(path, ".safetensors")) return load_safetensors(path);
  if (ends_with(path, ".bin") || ends_with(path, ".pt") || ends_with(path, ".pth")) return load_pytorch_bin(path);
  fail(path, "unknown weights file type (expected a name ending in .safetensors, .bin, .pt, .pth or .index.json)");
}

StateDict load_sharded(const std::string& index_path, std::vector<std::string>* files) {
  json index = read_json_file(index_path);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    fail(index_path, "field 'weight_map': expected an object mapping tensor names to shard files");
  const json& wm = index["weight_map"];
  const std::string dir = std::filesystem::path(index_path).parent_path().string();

  std::map<std::string, std::vector<std::string>> keys_by_shard;  // shard file -> keys it must hold
  for (auto it = wm.begin(); it != wm.end(); ++it) {
    if (!it->is_string() || it->get<std::string>().empty())
      fail(index_path, "weight_map: field '" + it.key() + "': expected a shard file name but got " + it->dump());
    const std::string shard = it->get<std::string>();
    std::filesystem::path sp(shard);
    for (const auto& part : sp)
      if (sp.is_absolute() || part == "..")
        fail(index_path, "weight_map: field '" + it.key() + "': shard '" + shard +
                             "' must be a file name inside the checkpoint folder");
    keys_by_shard[shard].push_back(it.key());
  }
  if (keys_by_shard.empty()) fail(index_path, "field 'weight_map' is empty");

  StateDict out;
  std::map<std::string, std::string> owner;  // tensor -> shard it came from
  for (const auto& [shard, keys] : keys_by_shard) {
    const std::string shard_path = dir.empty() ? shard : path_join(dir, shard);
    if (!path_exists(shard_path))
      fail(index_path, "shard '" + shard + "' (holding '" + keys.front() + "') not found at " + shard_path);
    if (ends_with(shard, ".index.json"))
      fail(index_path, "shard '" + shard + "' is itself an index (nested indexes are not supported)");
    StateDict part = load_weights_file(shard_path);
    for (const auto& k : keys)
      if (!part.count(k))
        fail(index_path, "weight_map says tensor '" + k + "' is in shard '" + shard + "' but " + shard_path +
                             " has no such tensor");
    for (auto& [name, t] : part) {
      auto [pos, inserted] = owner.emplace(name, shard);
      if (!inserted)
        fail(index_path, "tensor '" + name + "' appears in two shards: '" + pos->second + "' and '" + shard + "'");
      out.emplace(name, std::move(t));
    }
    if (files) files->push_back(shard_path);
  }
  return out;
}

LoadedCheckpoint load_checkpoint_dir(const std::string& dir, CheckpointFormat prefer) {
  if (!std::filesystem::is_directory(dir)) fail(dir, "not a directory (expected a Hugging Face model folder)");
  struct Candidate {
    const char* file;
    CheckpointFormat format;
    bool sharded;
  };
  const Candidate safetensors[] = {{"model.safetensors", CheckpointFormat::Safetensors, false},
                                   {"model.safetensors.index.json", CheckpointFormat::Safetensors, true}};
  const Candidate bin[] = {{"pytorch_model.bin", CheckpointFormat::PytorchBin, false},
                           {"pytorch_model.bin.index.json", CheckpointFormat::PytorchBin, true}};
  std::vector<Candidate> order;
  const auto& first = prefer == CheckpointFormat::Safetensors ? safetensors : bin;
  const auto& second = prefer == CheckpointFormat::Safetensors ? bin : safetensors;
  for (const auto& c : first) order.push_back(c);
  for (const auto& c : second) order.push_back(c);

  for (const auto& c : order) {
    std::string p = path_join(dir, c.file);
    if (!path_exists(p)) continue;
    LoadedCheckpoint out;
    out.format = c.format;
    if (c.sharded) {
      out.tensors = load_sharded(p, &out.files);
    } else {
      out.tensors = c.format == CheckpointFormat::Safetensors ? load_safetensors(p) : load_pytorch_bin(p);
      out.files.push_back(p);
    }
    return out;
  }
  fail(dir, "no weights found (looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin, "
            "pytorch_model.bin.index.json)");
}

}  // namespace nlp::io
