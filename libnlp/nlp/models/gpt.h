// Decoder-only Transformer language models at parity with transformers 4.31:
//
//   GPT-1 (Radford et al. 2018, "Improving Language Understanding by Generative Pre-Training")
//     OpenAIGPTModel / OpenAIGPTLMHeadModel / OpenAIGPTDoubleHeadsModel, model_type "openai-gpt".
//     §3.1: h0 = U We + Wp; h_l = post-LN block(h_{l-1}); P(u) = softmax(h_n We^T).
//     §3.3: fine-tuning adds a linear head on the `extract` token (multiple choice: one sequence
//     per answer) and keeps the LM loss as an auxiliary objective (lm_coef).
//   GPT-2 (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners")
//     GPT2Model / GPT2LMHeadModel / GPT2DoubleHeadsModel, model_type "gpt2".
//     §2.3: "layer normalization was moved to the input of each sub-block ... and an additional
//     layer normalization was added after the final self-attention block" -> pre-LN + ln_f.
//
// Both are one configuration of the shared blocks: nn::Embeddings (learned positions; token types
// looked up in the token table), nn::TransformerStack of causal layers (post-LN for GPT-1,
// pre-LN + final LN for GPT-2). Checkpoints store OpenAI's Conv1D weights [in, out] and a fused
// c_attn [in, 3 * hidden]; adapt_checkpoint() re-lays them out as Linear [out, in] q/k/v
// weights (export_checkpoint() restores the original layout when saving). The causal-mask
// buffers GPT-2 checkpoints carry (attn.bias, attn.masked_bias) are ignored.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "nlp/models/config.h"
#include "nlp/models/generation.h"
#include "nlp/models/model.h"
#include "nlp/nn/embeddings.h"
#include "nlp/nn/transformer.h"

namespace nlp::models {

// transformers' OpenAIGPTConfig and GPT2Config (one struct; `model_type` selects the family
// and its defaults: openai-gpt = the GPT-1 release, gpt2 = the 124M GPT-2).
struct GPTConfig {
  CommonConfig common;
  std::string model_type = "gpt2";  // "openai-gpt" or "gpt2"
  int64_t vocab_size = 50257;
  int64_t n_positions = 1024;
  int64_t n_embd = 768;
  int64_t n_layer = 12;
  int64_t n_head = 12;
  std::optional<int64_t> n_inner;            // GPT-2 FFN width; null = 4 * n_embd (GPT-1 always 4 * n_embd)
  // GPT-2 "activation_function" / GPT-1 "afn" (relu, silu, swish or gelu; GPT-1's "gelu" means the
  // tanh approximation gelu_new, as in transformers' modeling_openai).
  std::string activation_function = "gelu_new";
  double resid_pdrop = 0.1, embd_pdrop = 0.1, attn_pdrop = 0.1;
  double layer_norm_epsilon = 1e-5;
  double initializer_range = 0.02;
  // SequenceSummary (double-heads multiple-choice head).
  std::string summary_type = "cls_index";  // last, first, mean, cls_index
  bool summary_use_proj = true;
  std::string summary_activation;  // "" (none) or an activation name ("tanh")
  bool summary_proj_to_labels = true;
  double summary_first_dropout = 0.1, summary_last_dropout = 0.0;
  bool use_cache = true;
  // GPT-2 attention options; only the defaults (true, false) are supported for the first two.
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  bool reorder_and_upcast_attn = false;  // same result in float32

  bool is_gpt2() const { return model_type == "gpt2"; }
  int64_t inner_size() const { return n_inner.value_or(4 * n_embd); }

  // Parses config.json content; throws nlp::Error "<source>: field '<name>': expected ..." for
  // wrong types/values, unsupported activations / summary_type / attention options.
  static GPTConfig from_json(const json& j, const std::string& source = "config.json");
  // "openai-gpt", "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl".
  static GPTConfig named(const std::string& name);
  json to_json() const;

  nn::EmbeddingsConfig embeddings_config() const;
  nn::TransformerStackConfig decoder_config() const;
};

struct GPTOutput {
  at::Tensor last_hidden_state;  // [batch, seq, n_embd]
  std::vector<at::Tensor> hidden_states, attentions;
  std::vector<nn::LayerCache> past_key_values;  // when use_cache: [batch, n_head, past + seq, head_dim]
};

// The bare decoder (OpenAIGPTModel / GPT2Model). Submodules (our names): embeddings, decoder.
class GPTModel : public PretrainedModel {
 public:
  explicit GPTModel(const GPTConfig& config);

  // input_ids [batch, seq] int; attention_mask [batch, past + seq] (1 = token); token_type_ids
  // [batch, seq] (looked up in the token table); position_ids [batch or 1, seq] (default
  // past .. past + seq - 1); past: per-layer self-attention cache. Throws nlp::Error naming the
  // input for bad shapes/ids and sequences beyond n_positions.
  GPTOutput run(const at::Tensor& input_ids, const at::Tensor& attention_mask = {}, const at::Tensor& token_type_ids = {},
                const at::Tensor& position_ids = {}, const std::vector<nn::LayerCache>& past = {},
                const ForwardOptions& options = {}, bool use_cache = false);

  // Inputs: input_ids, attention_mask, token_type_ids, position_ids, past_key_values.<i>.key|value.
  // Outputs: last_hidden_state, hidden_states.<i>, attentions.<i>, past_key_values.<i>.key|value (GPT-2).
  TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) override;

  std::string architecture() const override { return config_.is_gpt2() ? "GPT2Model" : "OpenAIGPTModel"; }
  std::string model_type() const override { return config_.model_type; }
  std::string base_model_prefix() const override { return "transformer"; }
  bool is_task_model() const override { return false; }
  std::string hf_name(const std::string& our_name) const override { return key_rules().to_hf(our_name); }
  bool ignored_checkpoint_key(const std::string& hf_key) const override;
  void adapt_checkpoint(TensorMap& state) const override;
  void export_checkpoint(TensorMap& state) const override;
  void init_weights() override;
  json config_json() const override;
  const GPTConfig& config() const { return config_; }
  at::Tensor input_embeddings() const { return embeddings->word_embeddings->weight; }
  const KeyRules& key_rules() const;

  nn::Embeddings embeddings{nullptr};
  nn::TransformerStack decoder{nullptr};

 private:
  GPTConfig config_;
};

// transformers' SequenceSummary: pools [..., seq, hidden] to [..., hidden] (last / first / mean
// token, or the token at cls_index), then dropout -> optional Linear -> activation -> dropout.
// Submodule (HF name): summary (Linear hidden -> num_outputs).
class SequenceSummaryImpl : public torch::nn::Module {
 public:
  SequenceSummaryImpl(const GPTConfig& config, int64_t num_outputs);
  // hidden [..., seq, hidden]; cls_index [...] int64 (cls_index only; default: last token).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& cls_index = {});
  torch::nn::Linear summary{nullptr};
  torch::nn::Dropout first_dropout{nullptr}, last_dropout{nullptr};

 private:
  std::string type_, activation_;
};
TORCH_MODULE(SequenceSummary);

// LM head tied to the token table (§3.1 / GPT-2 §2) and, with `double_heads`, the
// multiple-choice head (GPT-1 §3.3): OpenAIGPT/GPT2 LMHeadModel and DoubleHeadsModel.
// Inputs: as GPTModel plus labels [batch, seq] (-100 ignored; loss = next-token cross-entropy,
// logits[:, :-1] vs labels[:, 1:]); double heads: input_ids [batch, num_choices, seq],
// mc_token_ids [batch, num_choices] (default: last token), mc_labels [batch].
// Outputs: logits [..., seq, vocab], loss, mc_logits [batch, num_choices], mc_loss, and the
// backbone's outputs (for double heads the last hidden_states.<n> is [batch, choices, seq,
// hidden] and the others are flattened, as transformers 4.31 returns them).
class GPTLMHeadModel : public PretrainedModel, public GenerativeModel {
 public:
  GPTLMHeadModel(const GPTConfig& config, bool double_heads);
  TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) override;
  at::Tensor lm_logits(const at::Tensor& hidden) const;  // [..., n_embd] -> [..., vocab]

  std::string architecture() const override;
  std::string model_type() const override { return transformer->model_type(); }
  std::string base_model_prefix() const override { return "transformer"; }
  bool is_task_model() const override { return true; }
  std::string hf_name(const std::string& our_name) const override;
  std::vector<TiedWeight> tied_weights() const override { return {{"lm_head.weight", "transformer." + transformer->hf_name("embeddings.word_embeddings.weight")}}; }
  bool ignored_checkpoint_key(const std::string& k) const override { return transformer->ignored_checkpoint_key(k); }
  bool may_be_newly_initialized(const std::string& k) const override { return k.rfind("multiple_choice_head.", 0) == 0; }
  void adapt_checkpoint(TensorMap& state) const override { transformer->adapt_checkpoint(state); }
  void export_checkpoint(TensorMap& state) const override { transformer->export_checkpoint(state); }
  void init_weights() override;
  json config_json() const override;

  // GenerativeModel
  bool is_encoder_decoder() const override { return false; }
  at::Tensor next_token_logits(DecodingState& state, const at::Tensor& ids, const at::Tensor& attention_mask,
                               bool use_cache) override;
  GenerationConfig default_generation_config() const override;

  std::shared_ptr<GPTModel> transformer;
  SequenceSummary multiple_choice_head{nullptr};  // double heads only

 private:
  bool double_heads_;
};

std::shared_ptr<PretrainedModel> build_gpt(const GPTConfig& config, const std::string& architecture);
void register_gpt_models();

}  // namespace nlp::models
