#include "nlp/models/spanbert.h"

#include <torch/torch.h>

#include "nlp/heads/task_models.h"
#include "nlp/models/registry.h"
#include "nlp/util/error.h"

namespace nlp::models {

// ---------------------------------------------------------------- span boundary objective
SpanBoundaryHead::SpanBoundaryHead(const SpanBoundaryHeadConfig& c) : config_(c) {
  if (c.hidden_size <= 0 || c.vocab_size <= 0 || c.max_span_length <= 0 || c.position_embedding_size <= 0)
    fail("span boundary head", "hidden_size, vocab_size, max_span_length and position_embedding_size must be positive");
  const int64_t h = c.hidden_size;
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(c.layer_norm_eps)); };
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(c.max_span_length, c.position_embedding_size));
  linear1 = register_module("linear1", torch::nn::Linear(2 * h + c.position_embedding_size, h));
  layer_norm1 = register_module("layer_norm1", ln());
  linear2 = register_module("linear2", torch::nn::Linear(h, h));
  layer_norm2 = register_module("layer_norm2", ln());
  if (!c.tie_word_embeddings)
    decoder = register_module("decoder", torch::nn::Linear(torch::nn::LinearOptions(h, c.vocab_size).bias(false)));
  bias = register_parameter("bias", torch::zeros({c.vocab_size}));
  init_weights(0.02);
}

at::Tensor SpanBoundaryHead::represent(const at::Tensor& hidden, const at::Tensor& boundaries) {
  if (hidden.dim() != 3 || hidden.size(-1) != config_.hidden_size)
    fail("span boundary head", "hidden states must be [batch, seq_len, " + std::to_string(config_.hidden_size) +
                                   "] but have shape " + c10::str(hidden.sizes()));
  if (boundaries.dim() != 3 || boundaries.size(0) != hidden.size(0) || boundaries.size(2) != 2 ||
      at::isFloatingType(boundaries.scalar_type()))
    fail("span boundary head", "'span_boundaries' must be an integer tensor [batch, num_spans, 2] but has shape " +
                                   c10::str(boundaries.sizes()));
  const int64_t b = hidden.size(0), seq = hidden.size(1), h = hidden.size(2), n = boundaries.size(1),
                m = config_.max_span_length;
  if (boundaries.numel() > 0) {
    const int64_t lo = boundaries.min().item<int64_t>(), hi = boundaries.max().item<int64_t>();
    if (lo < 0 || hi >= seq)
      fail("span boundary head", "'span_boundaries' holds indices in [" + std::to_string(lo) + ", " +
                                     std::to_string(hi) + "] but seq_len is " + std::to_string(seq));
  }
  // x_{s-1} and x_{e+1}: [b, n, h] each, repeated for the m target positions.
  at::Tensor idx = boundaries.to(torch::kLong);
  auto gather = [&](int64_t side) {
    at::Tensor i = idx.select(2, side).unsqueeze(-1).expand({b, n, h});
    return hidden.gather(1, i).unsqueeze(2).expand({b, n, m, h});
  };
  at::Tensor positions = position_embeddings->weight.view({1, 1, m, config_.position_embedding_size})
                             .expand({b, n, m, config_.position_embedding_size});
  at::Tensor h0 = torch::cat({gather(0), gather(1), positions}, -1);
  at::Tensor h1 = layer_norm1->forward(nn::activate(config_.activation, linear1->forward(h0)));
  return layer_norm2->forward(nn::activate(config_.activation, linear2->forward(h1)));
}

at::Tensor SpanBoundaryHead::forward(const at::Tensor& hidden, const at::Tensor& boundaries,
                                     const at::Tensor& input_embeddings) {
  const at::Tensor& w = decoder ? decoder->weight : input_embeddings;
  if (!w.defined() || w.dim() != 2 || w.size(0) != config_.vocab_size || w.size(1) != config_.hidden_size)
    fail("span boundary head", "output embeddings must be [" + std::to_string(config_.vocab_size) + ", " +
                                   std::to_string(config_.hidden_size) + "]");
  return torch::nn::functional::linear(represent(hidden, boundaries), w, bias);
}

void SpanBoundaryHead::init_weights(double std) {
  torch::NoGradGuard g;
  position_embeddings->weight.normal_(0.0, std);
  for (auto* lin : {&linear1, &linear2}) {
    (*lin)->weight.normal_(0.0, std);
    (*lin)->bias.zero_();
  }
  for (auto* ln : {&layer_norm1, &layer_norm2}) {
    (*ln)->weight.fill_(1.0);
    (*ln)->bias.zero_();
  }
  if (decoder) decoder->weight.normal_(0.0, std);
  bias.zero_();
}

at::Tensor span_boundary_loss(const at::Tensor& logits, const at::Tensor& span_labels) {
  if (logits.dim() < 2 || span_labels.sizes() != logits.sizes().slice(0, logits.dim() - 1))
    fail("span boundary loss", "span_labels has shape " + c10::str(span_labels.sizes()) +
                                   " but the logits need " + c10::str(logits.sizes().slice(0, logits.dim() - 1)));
  return heads::cross_entropy(logits.reshape({-1, logits.size(-1)}), span_labels.reshape({-1}));
}

// ---------------------------------------------------------------- pre-training model
namespace {

class SpanBertForPreTraining : public heads::TaskModel {
 public:
  SpanBertForPreTraining(std::shared_ptr<BertModel> backbone, const heads::MaskedLMHeadConfig& mlm_config,
                         const SpanBoundaryHeadConfig& sbo_config)
      : TaskModel(backbone, "SpanBertForPreTraining",
                  KeyRules()
                      .add("mlm.dense", "cls.predictions.transform.dense")
                      .add("mlm.layer_norm", "cls.predictions.transform.LayerNorm")
                      .add("mlm.decoder", "cls.predictions.decoder")
                      .add("mlm.bias", "cls.predictions.bias")
                      .add("sbo", "cls.span_boundary")) {
    mlm = add_head("mlm", std::make_shared<heads::MaskedLMHead>(mlm_config));
    sbo = add_head("sbo", std::make_shared<SpanBoundaryHead>(sbo_config));
  }

  TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) override {
    TensorMap out;
    BackboneOutput b = encode(inputs, options, out);
    const at::Tensor emb = backbone_->input_embeddings();
    at::Tensor prediction = mlm->forward(b.last_hidden_state, emb);
    out["prediction_logits"] = prediction;
    at::Tensor boundaries = optional_input(inputs, "span_boundaries");
    at::Tensor sbo_logits;
    if (boundaries.defined()) out["sbo_logits"] = sbo_logits = sbo->forward(b.last_hidden_state, boundaries, emb);
    at::Tensor labels = optional_input(inputs, "labels"), span_labels = optional_input(inputs, "span_labels");
    if (labels.defined() && span_labels.defined() && sbo_logits.defined())
      out["loss"] = heads::cross_entropy(prediction.reshape({-1, prediction.size(-1)}), labels.reshape({-1})) +
                    span_boundary_loss(sbo_logits, span_labels);
    return out;
  }

  std::vector<TiedWeight> tied_weights() const override {
    std::vector<TiedWeight> ties;
    if (!mlm->decoder)
      ties.push_back({hf_name("mlm.decoder.weight"), hf_name(base_model_prefix() + "." + backbone_->input_embeddings_name())});
    ties.push_back({hf_name("mlm.decoder.bias"), hf_name("mlm.bias")});
    return ties;
  }

  std::shared_ptr<heads::MaskedLMHead> mlm;
  std::shared_ptr<SpanBoundaryHead> sbo;
};

}  // namespace

std::shared_ptr<PretrainedModel> build_spanbert_pretraining(const BertConfig& c, const SpanBoundaryHeadConfig& sbo_in) {
  heads::MaskedLMHeadConfig m;
  m.hidden_size = m.embedding_size = c.hidden_size;
  m.vocab_size = c.vocab_size;
  m.activation = nn::parse_activation(c.hidden_act, c.common.source);
  m.layer_norm_eps = c.layer_norm_eps;
  m.tie_word_embeddings = c.common.tie_word_embeddings;
  SpanBoundaryHeadConfig sbo = sbo_in;
  sbo.hidden_size = c.hidden_size;
  sbo.vocab_size = c.vocab_size;
  sbo.activation = m.activation;
  sbo.layer_norm_eps = c.layer_norm_eps;
  sbo.tie_word_embeddings = c.common.tie_word_embeddings;
  auto model = std::make_shared<SpanBertForPreTraining>(std::make_shared<BertModel>(c, /*add_pooling_layer=*/false), m, sbo);
  model->init_weights();
  return model;
}

void register_spanbert_models() {
  register_architecture({"bert", "SpanBertForPreTraining", false, [](const json& config, const std::string& source) {
                           JsonView v{config, source};
                           SpanBoundaryHeadConfig sbo;
                           sbo.max_span_length = v.get<int64_t>("max_span_length", 10);
                           sbo.position_embedding_size = v.get<int64_t>("span_position_embedding_size", 200);
                           return build_spanbert_pretraining(BertConfig::from_json(config, source), sbo);
                         }});
}

}  // namespace nlp::models
