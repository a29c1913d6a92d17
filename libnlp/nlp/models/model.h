// The interfaces every model family implements.
//
//   PretrainedModel  anything loadable from / savable to a Hugging Face folder: a bare backbone
//                    (BertModel) or a task model (BertForSequenceClassification). Forward takes
//                    and returns tensors under Hugging Face names (input_ids, attention_mask,
//                    labels, ... -> last_hidden_state, hidden_states.<i>, logits, loss, ...).
//   Backbone         a PretrainedModel that encodes a batch into BackboneOutput; task heads
//                    (nlp/heads) sit on any Backbone.
//   KeyRules         our module names -> Hugging Face parameter names (ordered fragment
//                    substitutions on dotted paths), so shared blocks keep their own names.
//
// Adding a family: see docs/ARCHITECTURE.md ("Adding a model family").
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>

#include "nlp/util/json.h"

namespace nlp::models {

// Named tensors: forward inputs ("input_ids") and outputs ("last_hidden_state", "attentions.0").
using TensorMap = std::map<std::string, at::Tensor>;

struct ForwardOptions {
  bool output_hidden_states = false;  // hidden_states.<i>, i = 0 (embeddings) .. num_layers
  bool output_attentions = false;     // attentions.<i> [batch, heads, seq, seq]
};

// Ordered substitutions from our dotted parameter names to Hugging Face names. A rule replaces
// the first occurrence of `ours` that starts and ends at '.' boundaries; every rule is tried
// once, in order. An empty `hf` drops the fragment ("head.weight" -> "weight").
class KeyRules {
 public:
  KeyRules& add(std::string ours, std::string hf);
  KeyRules& append(const KeyRules& other);
  std::string to_hf(const std::string& ours) const;
  const std::vector<std::pair<std::string, std::string>>& rules() const { return rules_; }

 private:
  std::vector<std::pair<std::string, std::string>> rules_;
};

// A tied (aliased) parameter: `alias` is the Hugging Face name that transformers ties to
// `source` (e.g. cls.predictions.decoder.weight -> bert.embeddings.word_embeddings.weight).
// Our modules hold one tensor; save_pretrained writes only `source`, as transformers does.
struct TiedWeight {
  std::string alias, source;
};

class PretrainedModel : public torch::nn::Module {
 public:
  // Runs the model in its current mode (call eval() for inference). Throws nlp::Error
  // ("inputs: ...") when a required input is missing or has the wrong shape/dtype.
  virtual TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) = 0;

  virtual std::string architecture() const = 0;       // "BertModel", "BertForPreTraining"
  virtual std::string model_type() const = 0;         // config.json model_type ("bert")
  virtual std::string base_model_prefix() const = 0;   // "bert"
  virtual bool is_task_model() const = 0;              // backbone registered under the prefix
  virtual std::string hf_name(const std::string& our_name) const = 0;
  virtual std::vector<TiedWeight> tied_weights() const { return {}; }
  // Checkpoint keys that are buffers transformers recomputes (default: "*position_ids").
  virtual bool ignored_checkpoint_key(const std::string& hf_key) const;
  // Parameters that may be absent from a checkpoint and are then freshly initialised
  // (task heads, the pooler), reported instead of failing.
  virtual bool may_be_newly_initialized(const std::string& hf_key) const { return false; }
  // Fresh Hugging Face initialisation of every parameter (normal(0, initializer_range), ...).
  virtual void init_weights() = 0;
  // config.json content (the original fields plus ours), architectures = [architecture()].
  virtual json config_json() const = 0;
};

// Output of a backbone: Hugging Face BaseModelOutputWithPooling.
struct BackboneOutput {
  at::Tensor last_hidden_state;           // [batch, seq, hidden_size]
  at::Tensor pooler_output;               // [batch, hidden_size]; undefined without pooler
  std::vector<at::Tensor> hidden_states;  // when output_hidden_states
  std::vector<at::Tensor> attentions;     // when output_attentions

  // Writes last_hidden_state, pooler_output, hidden_states.<i>, attentions.<i> into `out`.
  void write(TensorMap& out) const;
};

class Backbone : public PretrainedModel {
 public:
  virtual BackboneOutput encode(const TensorMap& inputs, const ForwardOptions& options = {}) = 0;
  virtual int64_t hidden_size() const = 0;
  // The input (word) embedding matrix [vocab_size, embedding_size], for tied LM decoders.
  virtual at::Tensor input_embeddings() const = 0;
  // Our name of that matrix relative to the backbone ("embeddings.word_embeddings.weight").
  virtual std::string input_embeddings_name() const = 0;
  virtual double initializer_range() const = 0;

  TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) override;
  bool is_task_model() const override { return false; }
};

// Required input; throws nlp::Error("inputs: missing '<name>'").
const at::Tensor& require_input(const TensorMap& inputs, const std::string& name);
// Optional input (undefined tensor when absent).
at::Tensor optional_input(const TensorMap& inputs, const std::string& name);

// Parameter count as transformers' num_parameters(): every distinct tensor once (tied weights
// counted once); `only_trainable` counts tensors with requires_grad.
int64_t num_parameters(const torch::nn::Module& model, bool only_trainable = false);

// Our name -> Hugging Face name for every distinct parameter and persistent buffer.
std::vector<std::pair<std::string, at::Tensor>> hf_named_parameters(const PretrainedModel& model);

}  // namespace nlp::models
