// ELECTRA (Clark et al. 2020, "ELECTRA: Pre-training Text Encoders as Discriminators Rather Than
// Generators") at parity with transformers 4.31 ElectraModel / ElectraFor*.
//
//   backbone       BERT's encoder (§3.1: "the generator and discriminator are Transformer encoders")
//                  with embeddings of width embedding_size; when embedding_size != hidden_size a
//                  Linear `embeddings_project` maps them to hidden_size (ELECTRA-small). No pooler.
//   discriminator  replaced token detection (§2): logits = dense_prediction(act(dense(h))) per token,
//                  loss = BCE-with-logits over positions where attention_mask == 1
//   generator      masked LM (§2): dense(hidden -> embedding_size) -> gelu -> LayerNorm ->
//                  generator_lm_head (tied to the word embeddings, own bias)
//   fine-tuning    classifier on the first token with gelu (ElectraClassificationHead), token
//                  classification, QA, multiple choice through SequenceSummary ("first" + proj + gelu).
#pragma once

#include <memory>
#include <string>

#include "nlp/heads/heads.h"
#include "nlp/models/bert.h"

namespace nlp::models {

// transformers' ElectraConfig: BertConfig's fields with ELECTRA-small defaults (embedding_size 128,
// hidden 256, 4 heads, intermediate 1024) plus the SequenceSummary fields used by multiple choice.
struct ElectraConfig {
  BertConfig bert;  // bert.embedding_size holds ELECTRA's embedding_size
  std::string summary_type = "first";  // first, last or mean
  bool summary_use_proj = true;
  bool summary_proj_to_labels = false;
  std::string summary_activation = "gelu";  // "" = identity
  double summary_last_dropout = 0.1;
  double summary_first_dropout = 0.0;

  // Throws nlp::Error naming `source` and the field, as BertConfig::from_json, and for an
  // embedding_size that is not positive or a summary_type other than first/last/mean.
  static ElectraConfig from_json(const json& j, const std::string& source = "config.json");
  json to_json() const;
};

class ElectraModel : public BertModel {
 public:
  explicit ElectraModel(const ElectraConfig& config);  // never a pooler
  std::string architecture() const override { return "ElectraModel"; }
  std::string model_type() const override { return "electra"; }
  std::string base_model_prefix() const override { return "electra"; }
  json config_json() const override;
  const ElectraConfig& electra_config() const { return electra_; }

 private:
  ElectraConfig electra_;
};

// ElectraModel, ElectraForPreTraining, ElectraForMaskedLM, ElectraForSequenceClassification,
// ElectraForTokenClassification, ElectraForQuestionAnswering, ElectraForMultipleChoice.
std::shared_ptr<PretrainedModel> build_electra(const ElectraConfig& config, const std::string& architecture);

void register_electra_models();

}  // namespace nlp::models
