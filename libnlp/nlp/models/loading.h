// Loading Hugging Face checkpoints into models and saving them back (transformers'
// from_pretrained / save_pretrained).
//
// Key mapping (load_state_dict), per checkpoint key:
//   - legacy names: a last segment `gamma` / `beta` is read as `weight` / `bias` (old TF ports);
//   - base-model prefix: a bare backbone checkpoint ("embeddings...") loads into a task model
//     ("bert.embeddings...") and a task checkpoint loads into a bare backbone (prefix stripped);
//   - tied aliases (cls.predictions.decoder.weight = word embeddings, decoder.bias =
//     cls.predictions.bias): skipped, or used when their source is absent;
//   - buffers transformers recomputes (`position_ids`): skipped;
//   - float16 / bfloat16 / float64 tensors are converted to the model's dtype.
// A checkpoint key the model does not use is listed in LoadReport::unexpected. A model
// parameter absent from the checkpoint is an error, except task heads (and the pooler) which
// keep their fresh initialisation and are listed in LoadReport::newly_initialized.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>

#include "nlp/io/checkpoint.h"
#include "nlp/models/model.h"

namespace nlp::models {

struct LoadReport {
  std::string format;                          // "safetensors" / "pytorch_model.bin"
  std::vector<std::string> files;              // weight files read
  std::vector<std::string> newly_initialized;  // model parameters (HF names) not in the checkpoint
  std::vector<std::string> unexpected;         // checkpoint keys the model does not use
  std::vector<std::string> ignored;            // tied duplicates and recomputed buffers
  std::vector<std::string> renamed;            // "old -> new" for legacy gamma/beta keys
};

// Copies `state` into `model`'s parameters (see the rules above). Throws nlp::Error naming
// `source` when a parameter is missing ("missing 2 parameter(s): ...") or a shape differs
// ("parameter 'bert.pooler.dense.weight': checkpoint shape [32, 16] but the model expects [32, 32]").
LoadReport load_state_dict(PretrainedModel& model, const io::StateDict& state, const std::string& source);

struct LoadOptions {
  std::string head = "auto";                    // see build_model (registry.h)
  c10::ScalarType dtype = c10::kFloat;          // model dtype (float32, as transformers without torch_dtype)
  io::CheckpointFormat prefer = io::CheckpointFormat::Safetensors;  // when both formats exist
};

struct LoadedModel {
  std::shared_ptr<PretrainedModel> model;  // in eval mode
  LoadReport report;
};

// Reads <dir>/config.json, builds the model through the registry, converts it to
// options.dtype, loads the weights (safetensors, pytorch_model.bin, sharded) and puts it in
// eval mode.
LoadedModel from_pretrained(const std::string& dir, const LoadOptions& options = {});

// Parameters under Hugging Face names, without tied duplicates (what model.safetensors holds).
io::StateDict state_dict_for_saving(const PretrainedModel& model);

// Writes <dir>/config.json and <dir>/model.safetensors (atomically; creates `dir`), which
// from_pretrained (and transformers) reload to bit-identical parameters.
void save_pretrained(const PretrainedModel& model, const std::string& dir);

// "float32" / "bfloat16" / "float16" <-> dtype; throws nlp::Error naming `where` otherwise.
c10::ScalarType parse_dtype(const std::string& name, const std::string& where = "--dtype");
std::string dtype_name(c10::ScalarType dtype);

}  // namespace nlp::models
