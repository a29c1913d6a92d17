// AdamW with decoupled weight decay, the parameter grouping fine-tuning recipes use, optional
// layer-wise learning-rate decay, and gradient clipping by global norm.
//
// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), two exact
// variants:
//  - AdamWVariant::torch — torch.optim.AdamW (PyTorch 1.13, single-tensor path): per step t
//      p <- p * (1 - lr * wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//      p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//  - AdamWVariant::hf — transformers.AdamW (the Trainer's default "adamw_hf" optimizer in 4.31):
//      m, v as above;  p <- p - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
//      then p <- p - lr * wd * p   (decay after the update; eps not bias-corrected)
// Parameters whose .grad() is undefined are skipped that step (as both implementations do).
// All state is float32 like the parameters; scalars are computed in double as Python does.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace torch::nn {
class Module;
}
namespace torch::serialize {
class OutputArchive;
class InputArchive;
}  // namespace torch::serialize

namespace nlp::train {

using NamedParameters = std::vector<std::pair<std::string, at::Tensor>>;

// module.named_parameters() (recursive), keeping only parameters with requires_grad.
NamedParameters trainable_parameters(const torch::nn::Module& module);

// True for parameters that get no weight decay: names containing "bias", LayerNorm parameters
// ("LayerNorm.weight" in BERT-style names, "layer_norm"/"layernorm" in BART/T5-style names) and
// GPT-2's "ln_1", "ln_2", "ln_f" (a dot-separated component starting with "ln_"). Matches the
// Hugging Face Trainer's grouping (all biases and all LayerNorm weights) for the model families
// libnlp implements.
bool excluded_from_weight_decay(const std::string& name);

// Layer-wise learning-rate decay (ELECTRA fine-tuning, Clark et al. 2020, appendix): the
// learning rate of a parameter in encoder layer i (0-based) of num_layers is
//   lr * decay^(num_layers - i),
// embeddings get the deepest decay lr * decay^(num_layers + 1), and everything else (task head,
// pooler) the full lr. decay = 1 turns it off. (ELECTRA's TensorFlow code uses exponent
// num_layers + 2 - depth with embeddings at depth 0 and layer i at depth i + 1, i.e. one more
// factor of decay on every non-head parameter than this formula.)
struct LayerDecay {
  double decay = 1.0;
  int num_layers = 0;
};

// Index i of "layer.<i>.", "layers.<i>." or "h.<i>." (GPT-2) in a parameter name, if any.
std::optional<int> layer_index(const std::string& name);
// True for embedding parameters: a component containing "embeddings", or GPT-2's "wte"/"wpe".
bool is_embedding_parameter(const std::string& name);
// decay^(exponent) as described above; throws nlp::Error for a layer index >= num_layers.
double layer_lr_scale(const std::string& name, const LayerDecay& layer_decay);

struct ParamGroup {
  std::vector<std::string> names;
  std::vector<at::Tensor> params;
  double initial_lr = 0.0;    // base lr x layer scale; the scheduler multiplies this
  double lr = 0.0;            // learning rate used by the next step()
  double weight_decay = 0.0;
};

// Groups parameters by (weight decay, layer lr scale), in order of first appearance: parameters
// excluded_from_weight_decay get 0, the rest `weight_decay`. Without layer decay this is the
// Trainer's two groups (decay, no decay). Throws nlp::Error for duplicate names or no parameters.
std::vector<ParamGroup> make_param_groups(const NamedParameters& named, double lr, double weight_decay,
                                          const LayerDecay& layer_decay = {});

enum class AdamWVariant { torch, hf };

struct AdamWOptions {
  // Defaults are Hugging Face TrainingArguments' (adam_beta1/2, adam_epsilon).
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  AdamWVariant variant = AdamWVariant::torch;
  bool correct_bias = true;  // hf variant only (transformers.AdamW correct_bias)
};

class AdamW {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options = {});

  // One update of every parameter with a defined gradient (dense gradients only; a sparse
  // gradient throws nlp::Error). Runs under no-grad.
  void step();
  // Zeroes the gradients that exist (torch 1.13 Module.zero_grad() default, set_to_none=False).
  void zero_grad();
  // Sets every group's lr to initial_lr * factor (what a LambdaLR scheduler does).
  void set_lr_factor(double factor);

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  const AdamWOptions& options() const { return options_; }
  // Number of step() calls so far.
  int64_t steps() const { return steps_; }
  // Per-parameter state (undefined tensors before the parameter's first update).
  struct State {
    int64_t step = 0;
    at::Tensor exp_avg, exp_avg_sq;
  };
  const State& state(size_t group, size_t index) const { return state_.at(group).at(index); }

  // State save/load for resumable checkpoints: per parameter (by name) its step count, exp_avg
  // and exp_avg_sq, plus the step counter and every group's lr. load() checks that the saved
  // parameter names, group layout and shapes match this optimizer and throws nlp::Error naming
  // the file and the parameter otherwise. save(path) writes atomically.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive, const std::string& source = "optimizer state");
  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  std::vector<ParamGroup> groups_;
  AdamWOptions options_;
  std::vector<std::vector<State>> state_;
  int64_t steps_ = 0;
};

// torch.nn.utils.clip_grad_norm_(params, max_norm) with the L2 norm: total = ||(||g_i||_2)_i||_2
// over parameters with a gradient; every gradient is multiplied by min(1, max_norm / (total +
// 1e-6)) computed as a float32 tensor, as PyTorch does. Returns total (before clipping; 0 when no
// parameter has a gradient; may be inf/nan, which the caller may treat as a skipped step).
double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm);
double clip_grad_norm(const std::vector<ParamGroup>& groups, double max_norm);

}  // namespace nlp::train
