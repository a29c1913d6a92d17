// SpanBERT (Joshi et al. 2020, "SpanBERT: Improving Pre-training by Representing and Predicting
// Spans").
//
// The network is BERT's (§3: same architecture, cased vocabulary, single segments without NSP), so
// SpanBERT checkpoints load as model_type "bert" (standard configs "spanbert-base-cased" /
// "spanbert-large-cased"). What is new is the pre-training objective:
//   span masking (§3.1)         the data side (pretraining recipe), not here
//   span boundary objective (§3.2)
//       for a masked span x_s..x_e, each token x_i is predicted from the boundary encodings and
//       a relative position embedding:
//         h0  = [x_{s-1}; x_{e+1}; p_{i-s+1}]
//         h1  = LayerNorm(GeLU(W1 h0))
//         y_i = LayerNorm(GeLU(W2 h1))
//       and y_i goes through the (tied) output embedding like the MLM; loss = L_MLM + L_SBO.
//   SpanBoundaryHead implements f with max_span_length (10) position rows of size 200, as the
//   authors' code (BertPairTargetPredictionHead).
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/Tensor.h>
#include <torch/nn/modules/embedding.h>

#include "nlp/heads/heads.h"
#include "nlp/models/bert.h"

namespace nlp::models {

struct SpanBoundaryHeadConfig {
  int64_t hidden_size = 768;
  int64_t vocab_size = 28996;
  int64_t max_span_length = 10;           // targets per span; p_1 .. p_max (§3.1: spans of at most 10)
  int64_t position_embedding_size = 200;  // width of p_i
  nn::Activation activation = nn::Activation::Gelu;
  double layer_norm_eps = 1e-12;
  bool tie_word_embeddings = true;  // decoder = input word embeddings (own bias either way)
};

// Submodules (our names): position_embeddings [max_span_length, 200], linear1 [h, 2h + 200],
// layer_norm1, linear2 [h, h], layer_norm2, bias [vocab], [decoder when untied].
class SpanBoundaryHead : public heads::Head {
 public:
  explicit SpanBoundaryHead(const SpanBoundaryHeadConfig& config);

  // hidden [batch, seq, h]; boundaries [batch, num_spans, 2] integer indices of x_{s-1} and
  // x_{e+1} in the sequence. Returns y [batch, num_spans, max_span_length, h]: row k predicts
  // x_{s+k}. Throws nlp::Error for wrong ranks or boundaries outside [0, seq).
  at::Tensor represent(const at::Tensor& hidden, const at::Tensor& boundaries);
  // Token logits [batch, num_spans, max_span_length, vocab] = y E^T + bias.
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& boundaries, const at::Tensor& input_embeddings);
  void init_weights(double std) override;

  const SpanBoundaryHeadConfig& config() const { return config_; }

  torch::nn::Embedding position_embeddings{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr}, decoder{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  at::Tensor bias;

 private:
  SpanBoundaryHeadConfig config_;
};

// Mean cross-entropy of logits [..., vocab] against span_labels [...] (the token x_{s+k} for
// row k, -100 for rows past the span's end or padding spans).
at::Tensor span_boundary_loss(const at::Tensor& logits, const at::Tensor& span_labels);

// BERT + MLM head + SBO head, no NSP and no pooler (architecture "SpanBertForPreTraining",
// model_type "bert"; our own class, not a transformers one). Inputs: input_ids, attention_mask,
// token_type_ids, labels [batch, seq] (-100 ignored), span_boundaries [batch, num_spans, 2],
// span_labels [batch, num_spans, max_span_length]. Outputs: prediction_logits, sbo_logits,
// loss = MLM CE + SBO CE when labels and span_labels are given. Checkpoint names: bert.*,
// cls.predictions.* (as BertForPreTraining) and cls.span_boundary.*.
std::shared_ptr<PretrainedModel> build_spanbert_pretraining(const BertConfig& config,
                                                            const SpanBoundaryHeadConfig& sbo = {});

void register_spanbert_models();

}  // namespace nlp::models
