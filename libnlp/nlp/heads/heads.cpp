#include "nlp/heads/heads.h"

#include <torch/torch.h>

#include "nlp/util/error.h"

namespace nlp::heads {

LinearHead::LinearHead(int64_t in_features, int64_t num_outputs, double p, HeadInput input) : input_(input) {
  weight = register_parameter("weight", torch::empty({num_outputs, in_features}));
  bias = register_parameter("bias", torch::zeros({num_outputs}));
  dropout = register_module("dropout", torch::nn::Dropout(p));
  init_weights(0.02);
}

at::Tensor LinearHead::project(const at::Tensor& x) { return torch::nn::functional::linear(dropout->forward(x), weight, bias); }

at::Tensor LinearHead::forward(const models::BackboneOutput& out) {
  if (input_ == HeadInput::Pooled) {
    if (!out.pooler_output.defined()) fail("head", "this head needs pooler_output but the backbone has no pooler");
    return project(out.pooler_output);
  }
  return project(out.last_hidden_state);
}

void LinearHead::init_weights(double std) {
  torch::NoGradGuard g;
  weight.normal_(0.0, std);
  bias.zero_();
}

MaskedLMHead::MaskedLMHead(const MaskedLMHeadConfig& c) : config_(c) {
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.embedding_size));
  layer_norm = register_module(
      "layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.embedding_size}).eps(c.layer_norm_eps)));
  if (!c.tie_word_embeddings)
    decoder = register_module("decoder", torch::nn::Linear(torch::nn::LinearOptions(c.embedding_size, c.vocab_size).bias(false)));
  bias = register_parameter("bias", torch::zeros({c.vocab_size}));
  init_weights(0.02);
}

at::Tensor MaskedLMHead::forward(const at::Tensor& hidden, const at::Tensor& input_embeddings) {
  at::Tensor x = layer_norm->forward(nn::activate(config_.activation, dense->forward(hidden)));
  const at::Tensor& w = decoder ? decoder->weight : input_embeddings;
  return torch::nn::functional::linear(x, w, bias);
}

void MaskedLMHead::init_weights(double std) {
  torch::NoGradGuard g;
  dense->weight.normal_(0.0, std);
  dense->bias.zero_();
  layer_norm->weight.fill_(1.0);
  layer_norm->bias.zero_();
  if (decoder) decoder->weight.normal_(0.0, std);
  bias.zero_();
}

at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& labels, int64_t ignore_index) {
  return torch::nn::functional::cross_entropy(
      logits, labels.to(torch::kLong), torch::nn::functional::CrossEntropyFuncOptions().ignore_index(ignore_index));
}

std::string resolve_problem_type(const std::string& problem_type, int64_t num_labels, const at::Tensor& labels) {
  if (!problem_type.empty()) return problem_type;
  if (num_labels == 1) return "regression";
  if (labels.scalar_type() == torch::kLong || labels.scalar_type() == torch::kInt) return "single_label_classification";
  return "multi_label_classification";
}

at::Tensor sequence_classification_loss(const at::Tensor& logits, const at::Tensor& labels, int64_t num_labels,
                                        const std::string& problem_type) {
  const std::string kind = resolve_problem_type(problem_type, num_labels, labels);
  if (kind == "regression") {
    at::Tensor y = labels.to(logits.scalar_type());
    if (num_labels == 1) return torch::mse_loss(logits.squeeze(), y.squeeze());
    return torch::mse_loss(logits, y);
  }
  if (kind == "single_label_classification") return cross_entropy(logits.view({-1, num_labels}), labels.view({-1}));
  if (kind == "multi_label_classification")
    return torch::binary_cross_entropy_with_logits(logits, labels.to(logits.scalar_type()));
  fail("problem_type", "expected regression, single_label_classification or multi_label_classification but got '" + kind + "'");
}

at::Tensor span_extraction_loss(const at::Tensor& start_logits, const at::Tensor& end_logits,
                                const at::Tensor& start_positions, const at::Tensor& end_positions) {
  at::Tensor s = start_positions.dim() > 1 ? start_positions.squeeze(-1) : start_positions;
  at::Tensor e = end_positions.dim() > 1 ? end_positions.squeeze(-1) : end_positions;
  const int64_t ignored = start_logits.size(1);
  s = s.clamp(0, ignored);
  e = e.clamp(0, ignored);
  return (cross_entropy(start_logits, s, ignored) + cross_entropy(end_logits, e, ignored)) / 2;
}

}  // namespace nlp::heads
