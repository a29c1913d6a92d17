// ALBERT (Lan et al. 2020, "ALBERT: A Lite BERT for Self-supervised Learning of Language
// Representations") at parity with transformers 4.31 AlbertModel / AlbertFor*.
//
// ALBERT is BERT's post-LN encoder with two parameter-reduction ideas (§3.1), each in one place:
//   1. Factorized embedding parameterization: tokens are embedded in a small space E
//      (embedding_size) and projected to the hidden size H by `embedding_hidden_mapping_in`,
//      O(V x H) -> O(V x E + E x H).                          -> AlbertModel::embed()
//   2. Cross-layer parameter sharing: the num_hidden_layers x inner_group_num layer applications
//      reuse num_hidden_groups x inner_group_num unique layers (HF: layer i runs group
//      int(i / (num_hidden_layers / num_hidden_groups)), each group its inner layers in order).
//      The paper's shared-FFN-only / shared-attention-only variants (Table 4) are library options
//      (AlbertConfig::sharing), not Hugging Face configs.          -> albert_cross_layer_sharing()
// Pre-training replaces NSP by sentence-order prediction (SOP, §3.2): AlbertForPreTraining
// outputs prediction_logits and sop_logits; labels `labels` and `sentence_order_label`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nlp/models/bert.h"
#include "nlp/models/config.h"
#include "nlp/models/model.h"
#include "nlp/nn/embeddings.h"
#include "nlp/nn/pooler.h"
#include "nlp/nn/transformer.h"

namespace nlp::models {

// Which parameters the layers share (ALBERT §3.1, Table 4).
enum class CrossLayerSharing {
  Groups,     // Hugging Face: num_hidden_groups groups of inner_group_num layers (1 group = all-shared)
  Ffn,        // paper's "shared-FFN": one feed-forward network, per-layer attention and LayerNorms
  Attention,  // paper's "shared-attention": one self-attention, per-layer FFN and LayerNorms
};

// transformers' AlbertConfig (defaults are albert-xxlarge's, as there).
struct AlbertConfig {
  BertConfig bert;  // the BERT fields (hidden_size, num_hidden_layers, hidden_act, ...)
  int64_t embedding_size = 128;
  int64_t num_hidden_groups = 1;
  int64_t inner_group_num = 1;
  double classifier_dropout_prob = 0.1;
  // Library option, written to config.json as "cross_layer_sharing": "groups" | "ffn" | "attention"
  // (transformers ignores it; only "groups" loads there).
  CrossLayerSharing sharing = CrossLayerSharing::Groups;

  // Throws nlp::Error naming `source` and the field: as BertConfig::from_json, plus
  // num_hidden_groups not in [1, num_hidden_layers], inner_group_num < 1, unknown
  // cross_layer_sharing, and ffn/attention sharing with inner_group_num != 1.
  static AlbertConfig from_json(const json& j, const std::string& source = "config.json");
  json to_json() const;
};

// Idea 2 in one place: the unique layer used at each of the num_hidden_layers * inner_group_num
// layer applications, as transformers' AlbertTransformer maps them (Groups), or one layer per
// application for the Ffn / Attention variants (whose sharing the model applies to sublayers).
std::vector<int64_t> albert_cross_layer_sharing(const AlbertConfig& config);

class AlbertModel : public Backbone {
 public:
  explicit AlbertModel(const AlbertConfig& config, bool add_pooling_layer = true);

  // Inputs as BertModel::encode (input_ids [batch, seq], attention_mask, token_type_ids,
  // position_ids). hidden_states has num_hidden_layers + 1 entries (one per outer layer, the first
  // after the projection); attentions num_hidden_layers * inner_group_num (one per application).
  BackboneOutput encode(const TensorMap& inputs, const ForwardOptions& options = {}) override;

  // Idea 1: embeddings in E dimensions, then the E -> H projection. [batch, seq] -> [batch, seq, H].
  at::Tensor embed(const at::Tensor& input_ids, const at::Tensor& token_type_ids, const at::Tensor& position_ids);

  std::string architecture() const override { return "AlbertModel"; }
  std::string model_type() const override { return "albert"; }
  std::string base_model_prefix() const override { return "albert"; }
  std::string hf_name(const std::string& our_name) const override;
  bool may_be_newly_initialized(const std::string& hf_key) const override { return hf_key.rfind("pooler.", 0) == 0; }
  void init_weights() override;
  json config_json() const override;
  int64_t hidden_size() const override { return config_.bert.hidden_size; }
  at::Tensor input_embeddings() const override { return embeddings->word_embeddings->weight; }
  std::string input_embeddings_name() const override { return "embeddings.word_embeddings.weight"; }
  double initializer_range() const override { return config_.bert.initializer_range; }
  const AlbertConfig& config() const { return config_; }

  nn::Embeddings embeddings{nullptr};                          // E wide
  torch::nn::Linear embedding_hidden_mapping_in{nullptr};      // E -> H
  nn::TransformerStack encoder{nullptr};                       // unique layers + sharing schedule
  nn::Pooler pooler{nullptr};                                  // null without pooling layer

 private:
  AlbertConfig config_;
};

// AlbertModel, AlbertForPreTraining, AlbertForMaskedLM, AlbertForSequenceClassification,
// AlbertForTokenClassification, AlbertForQuestionAnswering, AlbertForMultipleChoice. As
// transformers, MaskedLM, TokenClassification and QuestionAnswering have no pooler.
std::shared_ptr<PretrainedModel> build_albert(const AlbertConfig& config, const std::string& architecture);

void register_albert_models();

}  // namespace nlp::models
