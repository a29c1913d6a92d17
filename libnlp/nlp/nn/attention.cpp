#include "nlp/nn/attention.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "nlp/util/error.h"

namespace nlp::nn {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const AttentionConfig& c) : config_(c) {
  if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
    fail("attention", "hidden_size (" + std::to_string(c.hidden_size) +
                          ") is not a multiple of num_attention_heads (" + std::to_string(c.num_heads) + ")");
  int64_t kv_in = c.kv_input_size > 0 ? c.kv_input_size : c.hidden_size;
  auto lin = [&](int64_t in) { return torch::nn::Linear(torch::nn::LinearOptions(in, c.hidden_size).bias(c.bias)); };
  q_proj = register_module("q_proj", lin(c.hidden_size));
  k_proj = register_module("k_proj", lin(kv_in));
  v_proj = register_module("v_proj", lin(kv_in));
  out_proj = register_module("out_proj", lin(c.hidden_size));
  dropout = register_module("dropout", torch::nn::Dropout(c.dropout));
}

at::Tensor MultiHeadAttentionImpl::split_heads(const at::Tensor& x) const {
  return x.view({x.size(0), x.size(1), config_.num_heads, head_dim()}).permute({0, 2, 1, 3});
}

AttentionOutput MultiHeadAttentionImpl::forward(const at::Tensor& hidden, const at::Tensor& additive_mask,
                                                const at::Tensor& key_value_states, const KeyValue& past,
                                                bool need_probs, bool use_cache) {
  const bool cross = key_value_states.defined();
  at::Tensor q = split_heads(q_proj->forward(hidden));
  at::Tensor k, v;
  if (cross && past.defined()) {  // encoder keys/values computed at the first step
    k = past.key;
    v = past.value;
  } else {
    const at::Tensor& src = cross ? key_value_states : hidden;
    k = split_heads(k_proj->forward(src));
    v = split_heads(v_proj->forward(src));
    if (!cross && past.defined()) {
      k = torch::cat({past.key, k}, 2);
      v = torch::cat({past.value, v}, 2);
    }
  }

  at::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim()));
  if (config_.causal && !cross) {
    int64_t seq = q.size(2), kv_len = k.size(2), past_len = kv_len - seq;
    auto allowed = torch::ones({seq, kv_len}, scores.options().dtype(torch::kBool)).tril(past_len);
    scores = torch::where(allowed, scores, torch::full({}, finfo_min(scores.scalar_type()), scores.options()));
  }
  if (additive_mask.defined()) scores = scores + additive_mask;
  at::Tensor probs = torch::softmax(scores, -1);
  at::Tensor context = torch::matmul(dropout->forward(probs), v);
  context = context.permute({0, 2, 1, 3}).contiguous();
  context = context.view({context.size(0), context.size(1), config_.hidden_size});

  AttentionOutput out;
  out.output = out_proj->forward(context);
  if (need_probs) out.probs = probs;
  if (use_cache) out.present = {k, v};
  return out;
}

double finfo_min(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kDouble: return std::numeric_limits<double>::lowest();
    case c10::kHalf: return -65504.0;
    case c10::kBFloat16: return -3.3895313892515355e38;
    default: return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

at::Tensor additive_attention_mask(const at::Tensor& mask, c10::ScalarType dtype) {
  if (!mask.defined()) return {};
  at::Tensor m = mask.to(dtype).unsqueeze(1).unsqueeze(2);
  return (1.0 - m) * finfo_min(dtype);
}

}  // namespace nlp::nn
