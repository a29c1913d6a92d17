// RoBERTa (Liu et al. 2019, "RoBERTa: A Robustly Optimized BERT Pretraining Approach") at parity
// with transformers 4.31 RobertaModel / RobertaFor*.
//
// The architecture is BERT's (§2); what differs is configuration, so RobertaModel is a BertModel:
//   positions    padding-aware: ids = pad_token_id + 1 + index among non-pad tokens, pad tokens get
//                pad_token_id (fairseq convention; hence 514 = 512 + 2 position rows)
//   token types  type_vocab_size 1 (no segment embeddings in practice; ids are all 0)
//   LM head      dense -> gelu -> LayerNorm -> decoder tied to the word embeddings + bias
//   classifier   on the <s> token: dropout -> dense -> tanh -> dropout -> out_proj (no pooler)
// Checkpoint names are BERT's under the prefix "roberta", heads "lm_head" and "classifier".
#pragma once

#include <memory>
#include <string>

#include "nlp/heads/heads.h"
#include "nlp/models/bert.h"

namespace nlp::models {

// RoBERTa's config.json is BertConfig's (transformers' RobertaConfig derives from it) with
// pad_token_id 1, bos 0, eos 2 by default. Throws as BertConfig::from_json.
BertConfig roberta_config_from_json(const json& j, const std::string& source = "config.json");

class RobertaModel : public BertModel {
 public:
  // `config.positions` is forced to PaddingAware.
  explicit RobertaModel(BertConfig config, bool add_pooling_layer = true);
  std::string architecture() const override { return "RobertaModel"; }
  std::string model_type() const override { return "roberta"; }
  std::string base_model_prefix() const override { return "roberta"; }
  json config_json() const override;
};

// Sentence-level head on the first token (<s> / [CLS]) of last_hidden_state:
//   logits = out_proj(dropout(act(dense(dropout(h[:, 0])))))
// RoBERTa uses tanh (RobertaClassificationHead), ELECTRA gelu (ElectraClassificationHead).
// Submodules: dense [hidden, hidden], out_proj [num_labels, hidden]. Output [batch, num_labels].
class FirstTokenClassificationHead : public heads::SequenceHead {
 public:
  FirstTokenClassificationHead(int64_t hidden_size, int64_t num_labels, double dropout, nn::Activation activation);
  at::Tensor forward(const BackboneOutput& out) override;
  void init_weights(double std) override;
  torch::nn::Linear dense{nullptr}, out_proj{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  nn::Activation activation_;
};

// RobertaModel, RobertaForMaskedLM, RobertaForSequenceClassification, RobertaForTokenClassification,
// RobertaForQuestionAnswering, RobertaForMultipleChoice, freshly initialised. As transformers,
// only RobertaModel and RobertaForMultipleChoice have a pooler.
std::shared_ptr<PretrainedModel> build_roberta(const BertConfig& config, const std::string& architecture);

void register_roberta_models();

}  // namespace nlp::models
