// Pretraining objectives on top of the model families: each PretrainingModel takes a collated
// batch (nlp/pretrain/dataset.h Batch as tensors) and returns the total loss, the loss of every
// objective and accuracy counts.
//
// Masked-LM logits are computed only at the masked positions (the loss is the same as Hugging
// Face's, which projects every position and ignores label -100; this saves the vocabulary
// projection of the ~85% unmasked positions).
//
//   BertPretraining (mlm_nsp, mlm_sop, mlm)   BertForPreTraining / BertForMaskedLM of
//       nlp/models/bert.h. loss = CE_mlm (+ CE_sentence on the [CLS] two-way head: NSP, BERT §3.1;
//       or SOP, ALBERT §4.2, label 1 = swapped). Saved as that BERT architecture.
//   SpanBertPretraining (span_sbo)   BertForMaskedLM + span boundary objective (SpanBERT §3.2):
//       y_i = f(x_{s-1}, x_{e+1}, p_{i-s+1}), f = 2-layer FFN (GeLU, LayerNorm each), the
//       relative position embedding p of size hidden_size, y_i scored against the tied word
//       embeddings plus its own bias. loss = CE_mlm + CE_sbo (no NSP, SpanBERT §3.3). The
//       encoder is saved as BertForMaskedLM; the SBO head in sbo_head.safetensors.
//   CausalLmPretraining (clm)   see below.
//   ElectraPretraining (electra)   ELECTRA §2: the generator (a BERT-style encoder of width
//       generator_size * hidden_size, heads and FFN scaled alike, same depth, an
//       embeddings_project Linear from the shared embedding width, MLM head tied to the shared
//       word embeddings) predicts the masked tokens; a sample from its softmax (no gradient:
//       sampled ids are integers) replaces each masked token; the discriminator (a BERT encoder
//       without pooler, ELECTRA's discriminator architecture; head dense-GeLU-dense->1)
//       classifies every non-padding token as replaced (1) / original (0), where a sample equal
//       to the original counts as original. loss = CE_mlm + rtd_weight * BCE_disc (rtd_weight
//       50). Generator and discriminator share one embeddings module (word, position, token-type
//       tables and LayerNorm), so it receives gradients from both losses. The discriminator is
//       saved as a BertModel folder (loadable for fine-tuning); the generator and the
//       discriminator head in electra_pretraining_heads.safetensors.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "nlp/heads/heads.h"
#include "nlp/models/bert.h"
#include "nlp/models/model.h"
#include "nlp/nn/transformer.h"
#include "nlp/pretrain/dataset.h"

namespace nlp::train {

// A collated batch as int64 tensors: input_ids, attention_mask, token_type_ids, labels
// [batch, seq]; sentence_labels [batch] (when any example has one); sbo_positions, sbo_left,
// sbo_right, sbo_relative, sbo_labels, sbo_mask [batch, max_sbo] (span masking only).
models::TensorMap batch_tensors(const pretrain::Batch& batch);

struct ObjectiveOutput {
  at::Tensor loss;                          // 0-dim, for backward()
  std::map<std::string, double> losses;     // "mlm", "nsp" / "sop", "sbo", "disc", "clm" (means)
  std::map<std::string, at::Tensor> terms;  // the same losses as 0-dim tensors in the graph (unweighted)
  std::map<std::string, double> counts;     // "<name>_correct" / "<name>_total" for mlm, sentence, disc, clm
  at::Tensor targets;                       // token targets of the LM loss (for the unigram baseline), int64 [N]
  at::Tensor disc_labels;                   // ELECTRA: discriminator labels of non-padding tokens (0/1) [N]
};

class PretrainingModel : public torch::nn::Module {
 public:
  // batch: see batch_tensors. Runs in the current train/eval mode.
  virtual ObjectiveOutput forward(const models::TensorMap& batch) = 0;
  // Writes the Hugging Face folder (config.json + model.safetensors) and extra head files.
  virtual void save(const std::string& dir) const = 0;
  virtual std::string describe() const = 0;
};

struct PretrainingModelOptions {
  std::string objective = "mlm_nsp";  // mlm_nsp | mlm_sop | mlm | span_sbo | electra
  double generator_size = 0.25;       // ELECTRA generator width multiplier
  double rtd_weight = 50.0;           // ELECTRA lambda
  int64_t sbo_max_relative = 0;       // SBO position table rows (0 = max_position_embeddings)
};

// Builds the objective model from a BERT config.json content (model_type "bert"). Throws
// nlp::Error naming `source` for config errors and unknown objectives.
std::shared_ptr<PretrainingModel> build_pretraining_model(const json& model_config, const std::string& source,
                                                          const PretrainingModelOptions& options);

// ---- the modules (public for tests) ----

class BertPretraining : public PretrainingModel {
 public:
  BertPretraining(const models::BertConfig& config, bool sentence_head, std::string sentence_name);
  ObjectiveOutput forward(const models::TensorMap& batch) override;
  void save(const std::string& dir) const override;
  std::string describe() const override;
  std::shared_ptr<models::PretrainedModel> model;  // BertForPreTraining or BertForMaskedLM
  std::shared_ptr<heads::MaskedLMHead> mlm;
  std::shared_ptr<heads::SequenceHead> sentence;    // null without a sentence head
  std::shared_ptr<models::Backbone> backbone;

 protected:
  std::string sentence_name_;  // "nsp" / "sop"
};

// SpanBERT span boundary objective head (our names: position_embeddings, dense1, layer_norm1,
// dense2, layer_norm2, bias).
class SboHeadImpl : public torch::nn::Module {
 public:
  SboHeadImpl(int64_t hidden_size, int64_t max_relative, double layer_norm_eps);
  // hidden [batch, seq, H]; left/right/relative [batch, T] -> [batch, T, H] (before the decoder)
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& left, const at::Tensor& right, const at::Tensor& relative);
  torch::nn::Embedding position_embeddings{nullptr};
  torch::nn::Linear dense1{nullptr}, dense2{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  at::Tensor bias;  // [vocab_size]
};
TORCH_MODULE(SboHead);

class SpanBertPretraining : public BertPretraining {
 public:
  SpanBertPretraining(const models::BertConfig& config, int64_t max_relative);
  ObjectiveOutput forward(const models::TensorMap& batch) override;
  void save(const std::string& dir) const override;
  std::string describe() const override;
  SboHead sbo{nullptr};
};

class ElectraPretraining : public PretrainingModel {
 public:
  ElectraPretraining(const models::BertConfig& discriminator_config, double generator_size, double rtd_weight);
  ObjectiveOutput forward(const models::TensorMap& batch) override;
  void save(const std::string& dir) const override;
  std::string describe() const override;

  // Generator MLM logits at `positions` ([M] flat indices into batch * seq): [M, vocab].
  at::Tensor generator_logits(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                              const at::Tensor& token_type_ids, const at::Tensor& positions);
  // Discriminator logits [batch, seq].
  at::Tensor discriminator_logits(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                  const at::Tensor& token_type_ids);

  std::shared_ptr<models::BertModel> discriminator;  // owns the shared embeddings
  torch::nn::Linear generator_project{nullptr};      // only when generator width != embedding width
  nn::TransformerStack generator_encoder{nullptr};
  std::shared_ptr<heads::MaskedLMHead> generator_head;
  torch::nn::Linear disc_dense{nullptr}, disc_out{nullptr};
  models::BertConfig generator_config;
  // Last forward's sampled discriminator inputs and labels ([batch, seq]; labels -100 on padding),
  // kept for inspection (tests).
  at::Tensor last_disc_input_ids, last_disc_labels;

 private:
  models::BertConfig config_;
  double rtd_weight_;
};

// Causal LM (GPT-1 §3.1 L1, GPT-2): any registered decoder family whose forward returns `logits`
// [batch, seq, vocab] (model_config with model_type + architectures, e.g. GPT2LMHeadModel).
// loss = CE(logits[:, :-1], input_ids[:, 1:]) over non-padding targets (the shift Hugging Face's
// LM heads apply to labels = input_ids). Saved with save_pretrained.
class CausalLmPretraining : public PretrainingModel {
 public:
  CausalLmPretraining(const json& model_config, const std::string& source);
  ObjectiveOutput forward(const models::TensorMap& batch) override;
  void save(const std::string& dir) const override;
  std::string describe() const override;
  std::shared_ptr<models::PretrainedModel> model;
};

}  // namespace nlp::train
