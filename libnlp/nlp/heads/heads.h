// Task heads and their losses, shared by every family (BERT paper §4 / Fig. 4; transformers'
// Bert*For* classes). A head is a small module over a BackboneOutput; task models
// (nlp/heads/task_models.h) combine a Backbone with heads and compute the loss when labels are given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "nlp/models/model.h"
#include "nlp/nn/activation.h"

namespace nlp::heads {

// A head: a module with its own Hugging Face initialisation.
class Head : public torch::nn::Module {
 public:
  virtual void init_weights(double std) = 0;
};

// Maps a BackboneOutput to logits.
class SequenceHead : public Head {
 public:
  virtual at::Tensor forward(const models::BackboneOutput& out) = 0;
};

enum class HeadInput { Pooled, Sequence };

// logits = dropout(x) W^T + b, with x = pooler_output [batch, hidden] (Pooled) or
// last_hidden_state [batch, seq, hidden] (Sequence). Parameters are registered directly as
// `weight` [num_outputs, in_features] and `bias` [num_outputs], so a head registered as
// "classifier" has the Hugging Face names classifier.weight / classifier.bias.
class LinearHead : public SequenceHead {
 public:
  LinearHead(int64_t in_features, int64_t num_outputs, double dropout, HeadInput input);
  at::Tensor forward(const models::BackboneOutput& out) override;
  at::Tensor project(const at::Tensor& x);
  void init_weights(double std) override;
  at::Tensor weight, bias;
  torch::nn::Dropout dropout{nullptr};

 private:
  HeadInput input_;
};

struct MaskedLMHeadConfig {
  int64_t hidden_size = 0;
  int64_t embedding_size = 0;  // transform output / decoder input (== hidden_size except ALBERT/ELECTRA)
  int64_t vocab_size = 0;
  nn::Activation activation = nn::Activation::Gelu;
  double layer_norm_eps = 1e-12;
  bool tie_word_embeddings = true;  // decoder weight = backbone input embeddings
};

// Masked-LM head (BERT §3.1 task #1): logits = LN(act(dense(h))) E^T + bias, with E the input
// embeddings when tied. Submodules (our names): dense, layer_norm, bias, [decoder when untied].
// hidden [batch, seq, hidden_size] -> logits [batch, seq, vocab_size].
class MaskedLMHead : public Head {
 public:
  explicit MaskedLMHead(const MaskedLMHeadConfig& config);
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& input_embeddings);
  void init_weights(double std) override;
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::Linear decoder{nullptr};  // only when not tied
  at::Tensor bias;

 private:
  MaskedLMHeadConfig config_;
};

// ---- losses (as transformers computes them; all return a 0-dim tensor) ----

// Mean cross-entropy over rows of logits [N, C] with labels [N]; `ignore_index` rows skipped.
at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& labels, int64_t ignore_index = -100);

// transformers' choice when config.problem_type is unset: num_labels == 1 -> "regression";
// integer labels -> "single_label_classification"; otherwise "multi_label_classification".
std::string resolve_problem_type(const std::string& problem_type, int64_t num_labels, const at::Tensor& labels);

// regression: MSE (squeezed when num_labels == 1); single_label: cross-entropy;
// multi_label: BCE with logits on float labels [batch, num_labels].
at::Tensor sequence_classification_loss(const at::Tensor& logits, const at::Tensor& labels, int64_t num_labels,
                                        const std::string& problem_type);

// Extractive QA (BERT §4.2): positions clamped to [0, seq_len], seq_len ignored; mean of the
// start and end cross-entropies. Positions [batch] (or [batch, 1]).
at::Tensor span_extraction_loss(const at::Tensor& start_logits, const at::Tensor& end_logits,
                                const at::Tensor& start_positions, const at::Tensor& end_positions);

}  // namespace nlp::heads
