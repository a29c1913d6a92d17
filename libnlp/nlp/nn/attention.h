// Multi-head scaled dot-product attention ("Attention Is All You Need" §3.2.2), as the
// Hugging Face implementations compute it:
//   scores = (Q K^T) / sqrt(head_dim) [+ causal mask] + additive_mask; probs = softmax(scores);
//   context = dropout(probs) V; output = out_proj(concat heads)
// Masks are ADDITIVE: 0 where attention is allowed and torch.finfo(dtype).min where it is not
// (transformers >= 4.2x; older versions used -10000). The causal mask (GPT, decoders) is applied
// with torch.where(allowed, scores, finfo.min) before the additive mask, as GPT-2 does.
//
// Self-attention: key_value_states undefined. Cross-attention (encoder-decoder): key/value come
// from key_value_states. A KV cache (`past`) holds the already-projected keys/values
// [batch, num_heads, past_len, head_dim]; the returned `present` extends it.
#pragma once

#include <cstdint>

#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace nlp::nn {

struct AttentionConfig {
  int64_t hidden_size = 0;    // model width; must be divisible by num_heads
  int64_t num_heads = 0;
  int64_t kv_input_size = 0;  // features of key_value_states for cross-attention (0 = hidden_size)
  double dropout = 0.0;       // on the attention probabilities
  bool bias = true;           // biases of q/k/v/out projections
  bool causal = false;        // mask future positions (query i sees keys <= i + past_len)
};

struct KeyValue {
  at::Tensor key, value;  // [batch, num_heads, len, head_dim]; undefined = empty cache
  bool defined() const { return key.defined(); }
};

struct AttentionOutput {
  at::Tensor output;  // [batch, seq, hidden_size]
  at::Tensor probs;   // [batch, num_heads, seq, kv_len] (only when need_probs)
  KeyValue present;   // keys/values including this step (only when use_cache)
};

// Submodules (our names): q_proj, k_proj, v_proj, out_proj (Linear).
class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  explicit MultiHeadAttentionImpl(const AttentionConfig& config);

  // hidden [batch, seq, hidden_size]; additive_mask broadcastable to [batch, heads, seq, kv_len]
  // or undefined; key_value_states [batch, kv_seq, kv_input_size] for cross-attention.
  // For cross-attention with a cache, `past` holds the encoder keys/values and they are reused.
  AttentionOutput forward(const at::Tensor& hidden, const at::Tensor& additive_mask = {},
                          const at::Tensor& key_value_states = {}, const KeyValue& past = {},
                          bool need_probs = false, bool use_cache = false);

  const AttentionConfig& config() const { return config_; }
  int64_t head_dim() const { return config_.hidden_size / config_.num_heads; }

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  at::Tensor split_heads(const at::Tensor& x) const;  // [b, s, h] -> [b, heads, s, d]
  AttentionConfig config_;
};
TORCH_MODULE(MultiHeadAttention);

// [batch, kv_len] 0/1 mask (1 = attend) -> additive [batch, 1, 1, kv_len] in `dtype`:
// (1 - mask) * finfo(dtype).min. Undefined in, undefined out.
at::Tensor additive_attention_mask(const at::Tensor& mask, c10::ScalarType dtype);

// The most negative finite value of a floating dtype (torch.finfo(dtype).min).
double finfo_min(c10::ScalarType dtype);

}  // namespace nlp::nn
