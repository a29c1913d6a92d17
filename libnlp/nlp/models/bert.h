// BERT (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional Transformers") at parity
// with transformers 4.31 BertModel / BertFor*.
//
//   embeddings  word + absolute position + token type -> LayerNorm -> dropout        (§3, Fig. 2)
//   encoder     num_hidden_layers post-LN Transformer layers (self-attention, FFN)   (§3)
//   pooler      tanh(dense(h[:, 0]))                                                  (§3, [CLS])
//
// Built from nlp::nn blocks; BertModel::key_rules() maps our names onto the checkpoint names
// (encoder.layers.3.self_attn.q_proj.weight -> encoder.layer.3.attention.self.query.weight).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "nlp/models/config.h"
#include "nlp/models/model.h"
#include "nlp/nn/embeddings.h"
#include "nlp/nn/pooler.h"
#include "nlp/nn/transformer.h"

namespace nlp::models {

// transformers' BertConfig: every field it uses, with its defaults (bert-base-uncased).
struct BertConfig {
  CommonConfig common;
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";  // gelu, gelu_new, gelu_fast, relu, silu/swish, tanh, ...
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  std::string position_embedding_type = "absolute";  // only "absolute" is supported
  bool use_cache = true;
  std::optional<double> classifier_dropout;  // null -> hidden_dropout_prob

  // Parses config.json content. Throws nlp::Error "<source>: field '<name>': expected ... but
  // got ..." for wrong types, out-of-range values, unsupported hidden_act /
  // position_embedding_type / problem_type, is_decoder / add_cross_attention = true, and
  // hidden_size not divisible by num_attention_heads.
  static BertConfig from_json(const json& j, const std::string& source = "config.json");
  static BertConfig from_file(const std::string& path);
  // Published configurations without weights: "bert-base" (bert-base-uncased), "bert-large"
  // (bert-large-uncased), "bert-base-cased", "bert-base-multilingual-cased".
  static BertConfig named(const std::string& name);
  json to_json() const;  // config.json content (original fields kept)

  double head_dropout() const { return classifier_dropout.value_or(hidden_dropout_prob); }
  nn::EmbeddingsConfig embeddings_config() const;
  nn::TransformerStackConfig encoder_config() const;
};

class BertModel : public Backbone {
 public:
  explicit BertModel(const BertConfig& config, bool add_pooling_layer = true);

  // Inputs: input_ids [batch, seq] (required), attention_mask [batch, seq] (1 = token,
  // 0 = padding; default all ones), token_type_ids [batch, seq] (default 0), position_ids.
  // Throws nlp::Error naming the input for wrong ranks, seq > max_position_embeddings and ids
  // outside the vocabulary / type vocabulary.
  BackboneOutput encode(const TensorMap& inputs, const ForwardOptions& options = {}) override;
  BackboneOutput encode(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                        const at::Tensor& token_type_ids = {}, const at::Tensor& position_ids = {},
                        const ForwardOptions& options = {});

  std::string architecture() const override { return "BertModel"; }
  std::string model_type() const override { return "bert"; }
  std::string base_model_prefix() const override { return "bert"; }
  std::string hf_name(const std::string& our_name) const override { return key_rules().to_hf(our_name); }
  bool may_be_newly_initialized(const std::string& hf_key) const override { return hf_key.rfind("pooler.", 0) == 0; }
  void init_weights() override;
  json config_json() const override;
  int64_t hidden_size() const override { return config_.hidden_size; }
  at::Tensor input_embeddings() const override { return embeddings->word_embeddings->weight; }
  std::string input_embeddings_name() const override { return "embeddings.word_embeddings.weight"; }
  double initializer_range() const override { return config_.initializer_range; }
  const BertConfig& config() const { return config_; }

  // Our names -> transformers' Bert names.
  static const KeyRules& key_rules();

  nn::Embeddings embeddings{nullptr};
  nn::TransformerStack encoder{nullptr};
  nn::Pooler pooler{nullptr};  // null when add_pooling_layer == false

 private:
  BertConfig config_;
};

// Builds the architecture named in `architecture` (BertModel, BertForPreTraining,
// BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification,
// BertForQuestionAnswering, BertForMultipleChoice) with fresh HF-initialised weights.
// Pooler presence follows transformers (no pooler for MaskedLM, TokenClassification, QA).
std::shared_ptr<PretrainedModel> build_bert(const BertConfig& config, const std::string& architecture);

// Registers the BERT architectures in the model registry (called by the registry itself).
void register_bert_models();

}  // namespace nlp::models
