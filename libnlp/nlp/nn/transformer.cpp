#include "nlp/nn/transformer.h"

#include <algorithm>

#include <torch/torch.h>

#include "nlp/util/error.h"

namespace nlp::nn {

FeedForwardImpl::FeedForwardImpl(const FeedForwardConfig& c) : config_(c) {
  fc1 = register_module("fc1", torch::nn::Linear(torch::nn::LinearOptions(c.hidden_size, c.intermediate_size).bias(c.bias)));
  fc2 = register_module("fc2", torch::nn::Linear(torch::nn::LinearOptions(c.intermediate_size, c.hidden_size).bias(c.bias)));
  activation_dropout = register_module("activation_dropout", torch::nn::Dropout(c.activation_dropout));
}

at::Tensor FeedForwardImpl::forward(const at::Tensor& x) {
  return fc2->forward(activation_dropout->forward(activate(config_.activation, fc1->forward(x))));
}

static torch::nn::LayerNorm make_layer_norm(int64_t size, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(eps));
}

TransformerLayerImpl::TransformerLayerImpl(const TransformerLayerConfig& c) : config_(c) {
  const int64_t h = c.attention.hidden_size;
  self_attn = register_module("self_attn", MultiHeadAttention(c.attention));
  self_attn_layer_norm = register_module("self_attn_layer_norm", make_layer_norm(h, c.layer_norm_eps));
  if (c.cross_attention) {
    AttentionConfig cross = c.attention;
    cross.causal = false;
    cross.kv_input_size = c.cross_attention_kv_size;
    cross_attn = register_module("cross_attn", MultiHeadAttention(cross));
    cross_attn_layer_norm = register_module("cross_attn_layer_norm", make_layer_norm(h, c.layer_norm_eps));
  }
  FeedForwardConfig f = c.ffn;
  f.hidden_size = h;
  ffn = register_module("ffn", FeedForward(f));
  ffn_layer_norm = register_module("ffn_layer_norm", make_layer_norm(h, c.layer_norm_eps));
  dropout = register_module("dropout", torch::nn::Dropout(c.hidden_dropout));
}

TransformerLayerOutput TransformerLayerImpl::forward(const at::Tensor& hidden, const at::Tensor& mask,
                                                     const at::Tensor& encoder_hidden, const at::Tensor& encoder_mask,
                                                     const LayerCache& past, bool need_probs, bool use_cache) {
  TransformerLayerOutput out;
  const bool pre = config_.pre_layer_norm;
  at::Tensor x = hidden;

  // Self-attention sublayer.
  auto a = self_attn->forward(pre ? self_attn_layer_norm->forward(x) : x, mask, {}, past.self_attn, need_probs, use_cache);
  x = x + dropout->forward(a.output);
  if (!pre) x = self_attn_layer_norm->forward(x);
  out.self_attn_probs = a.probs;
  out.present.self_attn = a.present;

  // Cross-attention sublayer (decoders).
  if (cross_attn && encoder_hidden.defined()) {
    auto c = cross_attn->forward(pre ? cross_attn_layer_norm->forward(x) : x, encoder_mask, encoder_hidden,
                                 past.cross_attn, need_probs, use_cache);
    x = x + dropout->forward(c.output);
    if (!pre) x = cross_attn_layer_norm->forward(x);
    out.cross_attn_probs = c.probs;
    out.present.cross_attn = c.present;
  }

  // Position-wise feed-forward sublayer.
  at::Tensor f = ffn->forward(pre ? ffn_layer_norm->forward(x) : x);
  x = x + dropout->forward(f);
  if (!pre) x = ffn_layer_norm->forward(x);
  out.hidden = x;
  return out;
}

TransformerStackImpl::TransformerStackImpl(const TransformerStackConfig& c) : config_(c) {
  if (config_.layer_schedule.empty())
    for (int64_t i = 0; i < c.num_layers; ++i) config_.layer_schedule.push_back(i);
  if (static_cast<int64_t>(config_.layer_schedule.size()) != c.num_layers)
    fail("transformer stack", "layer_schedule has " + std::to_string(config_.layer_schedule.size()) +
                                  " entries but num_layers is " + std::to_string(c.num_layers));
  int64_t unique = 0;
  for (int64_t i : config_.layer_schedule) {
    if (i < 0) fail("transformer stack", "negative index in layer_schedule");
    unique = std::max(unique, i + 1);
  }
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < unique; ++i) {
    unique_.push_back(TransformerLayer(c.layer));
    layers->push_back(unique_.back());
  }
  if (c.final_layer_norm)
    final_layer_norm = register_module("final_layer_norm",
                                       make_layer_norm(c.layer.attention.hidden_size, c.layer.layer_norm_eps));
}

TransformerLayer TransformerStackImpl::layer(int64_t depth) const { return unique_.at(config_.layer_schedule.at(depth)); }

StackOutput TransformerStackImpl::forward(const at::Tensor& hidden, const at::Tensor& mask, const at::Tensor& encoder_hidden,
                                          const at::Tensor& encoder_mask, const std::vector<LayerCache>& past,
                                          bool output_hidden_states, bool output_attentions, bool use_cache) {
  StackOutput out;
  at::Tensor x = hidden;
  for (int64_t d = 0; d < config_.num_layers; ++d) {
    if (output_hidden_states) out.hidden_states.push_back(x);
    const LayerCache empty;
    const LayerCache& p = d < static_cast<int64_t>(past.size()) ? past[d] : empty;
    auto r = layer(d)->forward(x, mask, encoder_hidden, encoder_mask, p, output_attentions, use_cache);
    x = r.hidden;
    if (output_attentions) {
      out.attentions.push_back(r.self_attn_probs);
      if (r.cross_attn_probs.defined()) out.cross_attentions.push_back(r.cross_attn_probs);
    }
    if (use_cache) out.present.push_back(r.present);
  }
  if (final_layer_norm) x = final_layer_norm->forward(x);
  if (output_hidden_states) out.hidden_states.push_back(x);
  out.last_hidden_state = x;
  return out;
}

}  // namespace nlp::nn
