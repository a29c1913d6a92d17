// The encoder-decoder Transformer (Vaswani et al. 2017, "Attention Is All You Need") as one
// configurable model covering two Hugging Face families at parity with transformers 4.31:
//
//   Marian (MarianMTModel / MarianModel, model_type "marian"): §3.5 sinusoidal positions — in
//     Marian's layout, sin(p / 10000^(2j/d)) in the first d/2 features and cos in the second
//     half, a fixed table; §3.4 embeddings scaled by sqrt(d_model) (scale_embedding); swish FFN.
//   BART (Lewis et al. 2020; BartForConditionalGeneration / BartModel, model_type "bart"):
//     learned positions offset by 2, layernorm_embedding after the embedding sum, GeLU FFN.
//
// Both: post-LN encoder layers (§3.1: LN(x + Sublayer(x))), decoder layers with masked
// self-attention and encoder-decoder cross-attention, token table shared by encoder, decoder and
// the output projection (§3.4), plus final_logits_bias on the logits. KV caches for self- and
// cross-attention are nn::LayerCache. Training: labels -> decoder_input_ids via
// shift_tokens_right, loss = cross-entropy, optionally label-smoothed (§5.4, eps_ls = 0.1).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/modules/embedding.h>

#include "nlp/models/config.h"
#include "nlp/models/generation.h"
#include "nlp/models/model.h"
#include "nlp/nn/embeddings.h"
#include "nlp/nn/transformer.h"

namespace nlp::models {

// transformers' BartConfig / MarianConfig (the fields both use; model_type picks the family
// and its defaults).
struct EncoderDecoderConfig {
  CommonConfig common;
  std::string model_type = "bart";  // "bart" or "marian"
  int64_t vocab_size = 50265;
  int64_t d_model = 1024;
  int64_t encoder_layers = 12, decoder_layers = 12;
  int64_t encoder_attention_heads = 16, decoder_attention_heads = 16;
  int64_t encoder_ffn_dim = 4096, decoder_ffn_dim = 4096;
  int64_t max_position_embeddings = 1024;
  std::string activation_function = "gelu";
  double dropout = 0.1, attention_dropout = 0.0, activation_dropout = 0.0;
  double init_std = 0.02;
  bool scale_embedding = false;  // multiply token embeddings by sqrt(d_model)
  int64_t decoder_start_token_id = 2;
  std::optional<int64_t> forced_bos_token_id, forced_eos_token_id;
  bool use_cache = true;

  bool is_bart() const { return model_type == "bart"; }
  int64_t pad_token_id() const { return common.pad_token_id.value_or(is_bart() ? 1 : vocab_size - 1); }

  // Throws nlp::Error "<source>: field '<name>': expected ..." for wrong types/values and for
  // configurations we do not implement (normalize_before, separate Marian decoder vocabularies).
  static EncoderDecoderConfig from_json(const json& j, const std::string& source = "config.json");
  // "bart-base", "bart-large", "marian" (Helsinki-NLP/opus-mt-en-de).
  static EncoderDecoderConfig named(const std::string& name);
  json to_json() const;

  nn::EmbeddingsConfig embeddings_config() const;
  nn::TransformerStackConfig stack_config(bool decoder) const;
};

// Marian's sinusoidal table [num_positions, dim] (computed in float64 as transformers does).
at::Tensor marian_sinusoidal_table(int64_t num_positions, int64_t dim);

// labels [batch, len] -> decoder_input_ids: shifted one right, decoder_start_token_id first,
// -100 replaced by pad_token_id (transformers' shift_tokens_right).
at::Tensor shift_tokens_right(const at::Tensor& labels, int64_t pad_token_id, int64_t decoder_start_token_id);

// Label-smoothed cross-entropy as transformers' LabelSmoother (fairseq's formulation):
// (1 - eps) * NLL + eps * mean over classes of -log p, both averaged over non-ignored tokens.
// logits [..., vocab], labels [...] int64. eps = 0 gives plain cross-entropy.
at::Tensor label_smoothed_cross_entropy(const at::Tensor& logits, const at::Tensor& labels, double epsilon,
                                        int64_t ignore_index = -100);

struct Seq2SeqOutput {
  at::Tensor last_hidden_state;  // decoder [batch, tgt, d_model]
  at::Tensor encoder_last_hidden_state;
  std::vector<at::Tensor> encoder_hidden_states, encoder_attentions;
  std::vector<at::Tensor> decoder_hidden_states, decoder_attentions, cross_attentions;
  std::vector<nn::LayerCache> past_key_values;  // when use_cache

  void write(TensorMap& out) const;  // under transformers' Seq2Seq output names
};

// BartModel / MarianModel. Submodules (our names): shared, encoder_embeddings, encoder,
// decoder_embeddings, decoder (encoder/decoder embeddings use `shared` as their token table).
class EncoderDecoderModel : public PretrainedModel {
 public:
  explicit EncoderDecoderModel(const EncoderDecoderConfig& config);

  // input_ids / attention_mask [batch, src]; returns the encoder's last hidden state (and the
  // per-layer outputs in `out` when requested).
  at::Tensor encode(const at::Tensor& input_ids, const at::Tensor& attention_mask, const ForwardOptions& options = {},
                    Seq2SeqOutput* out = nullptr);
  // decoder_input_ids [batch, tgt] (only the new tokens when `past` holds a cache);
  // decoder_attention_mask [batch, past + tgt] or undefined; encoder_hidden [batch, src, d].
  void decode(const at::Tensor& decoder_input_ids, const at::Tensor& decoder_attention_mask,
              const at::Tensor& encoder_hidden, const at::Tensor& encoder_mask, const std::vector<nn::LayerCache>& past,
              const ForwardOptions& options, bool use_cache, Seq2SeqOutput& out);

  // Inputs: input_ids, attention_mask, decoder_input_ids (or labels to shift),
  // decoder_attention_mask, encoder_last_hidden_state (skips the encoder).
  TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) override;
  Seq2SeqOutput run(const TensorMap& inputs, const ForwardOptions& options, bool use_cache);

  std::string architecture() const override { return config_.is_bart() ? "BartModel" : "MarianModel"; }
  std::string model_type() const override { return config_.model_type; }
  std::string base_model_prefix() const override { return "model"; }
  bool is_task_model() const override { return false; }
  std::string hf_name(const std::string& our_name) const override { return key_rules().to_hf(our_name); }
  std::vector<TiedWeight> tied_weights() const override;
  bool may_be_newly_initialized(const std::string& k) const override;
  void init_weights() override;
  json config_json() const override;
  const EncoderDecoderConfig& config() const { return config_; }
  static const KeyRules& key_rules();

  torch::nn::Embedding shared{nullptr};
  nn::Embeddings encoder_embeddings{nullptr}, decoder_embeddings{nullptr};
  nn::TransformerStack encoder{nullptr}, decoder{nullptr};

 private:
  void reset_sinusoids();
  void check_ids(const at::Tensor& ids, const std::string& name, int64_t past = 0) const;
  EncoderDecoderConfig config_;
};

// BartForConditionalGeneration / MarianMTModel: logits = decoder_out shared^T + final_logits_bias.
// Outputs: logits [batch, tgt, vocab], loss (labels [batch, tgt], -100 ignored; label-smoothed
// when label_smoothing > 0), and the backbone's outputs.
class EncoderDecoderForConditionalGeneration : public PretrainedModel, public GenerativeModel {
 public:
  explicit EncoderDecoderForConditionalGeneration(const EncoderDecoderConfig& config);
  TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) override;
  at::Tensor lm_logits(const at::Tensor& hidden) const;

  std::string architecture() const override {
    return model->config().is_bart() ? "BartForConditionalGeneration" : "MarianMTModel";
  }
  std::string model_type() const override { return model->model_type(); }
  std::string base_model_prefix() const override { return "model"; }
  bool is_task_model() const override { return true; }
  std::string hf_name(const std::string& our) const override;
  std::vector<TiedWeight> tied_weights() const override;
  bool may_be_newly_initialized(const std::string& k) const override;
  void init_weights() override;
  json config_json() const override;

  bool is_encoder_decoder() const override { return true; }
  void encode_for_generation(DecodingState& state, const at::Tensor& input_ids, const at::Tensor& attention_mask) override;
  at::Tensor next_token_logits(DecodingState& state, const at::Tensor& ids, const at::Tensor& attention_mask,
                               bool use_cache) override;
  GenerationConfig default_generation_config() const override;
  void adjust_beam_logits(at::Tensor& logits) const override;

  std::shared_ptr<EncoderDecoderModel> model;
  at::Tensor final_logits_bias;  // buffer [1, vocab]
  double label_smoothing = 0.0;  // transformers' label_smoothing_factor (Trainer)
};

std::shared_ptr<PretrainedModel> build_encoder_decoder(const EncoderDecoderConfig& config, const std::string& architecture);
void register_encoder_decoder_models();

}  // namespace nlp::models
