// Transformer layers and stacks ("Attention Is All You Need" §3.1; BERT §3).
//
//   FeedForward        fc2(dropout_act(act(fc1(x))))
//   TransformerLayer   post-LN (BERT, GPT-1, BART):  x = LN(x + drop(attn(x))); x = LN(x + drop(ffn(x)))
//                      pre-LN  (GPT-2):              x = x + drop(attn(LN(x))); x = x + drop(ffn(LN(x)))
//                      optional cross-attention block between the two (decoders).
//   TransformerStack   num_layers layers; `layer_schedule` maps each depth to one of the unique
//                      layers (cross-layer parameter sharing, ALBERT §3.1); optional final LN
//                      (pre-LN models). Returns every hidden state and attention map.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "nlp/nn/activation.h"
#include "nlp/nn/attention.h"

namespace nlp::nn {

struct FeedForwardConfig {
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  Activation activation = Activation::Gelu;
  double activation_dropout = 0.0;  // between act and fc2 (BART); 0 for BERT
  bool bias = true;
};

// Submodules (our names): fc1 [intermediate, hidden], fc2 [hidden, intermediate].
class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const FeedForwardConfig& config);
  at::Tensor forward(const at::Tensor& x);  // [..., hidden_size] -> [..., hidden_size]
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::Dropout activation_dropout{nullptr};

 private:
  FeedForwardConfig config_;
};
TORCH_MODULE(FeedForward);

struct TransformerLayerConfig {
  AttentionConfig attention;     // self-attention (causal for decoders)
  FeedForwardConfig ffn;
  double hidden_dropout = 0.1;   // on each sublayer output before the residual sum
  double layer_norm_eps = 1e-12;
  bool pre_layer_norm = false;   // false: post-LN (BERT); true: pre-LN (GPT-2)
  bool cross_attention = false;  // adds cross_attn + cross_attn_layer_norm (decoders)
  int64_t cross_attention_kv_size = 0;  // encoder width (0 = hidden_size)
};

struct LayerCache {
  KeyValue self_attn, cross_attn;
};

struct TransformerLayerOutput {
  at::Tensor hidden;             // [batch, seq, hidden_size]
  at::Tensor self_attn_probs;    // [batch, heads, seq, kv_len] when need_probs
  at::Tensor cross_attn_probs;   // [batch, heads, seq, enc_len] when need_probs and cross-attention
  LayerCache present;            // when use_cache
};

// Submodules (our names): self_attn, self_attn_layer_norm, [cross_attn, cross_attn_layer_norm],
// ffn, ffn_layer_norm.
class TransformerLayerImpl : public torch::nn::Module {
 public:
  explicit TransformerLayerImpl(const TransformerLayerConfig& config);

  // hidden [batch, seq, hidden]; mask additive (see attention.h); encoder_hidden / encoder_mask
  // for cross-attention (ignored when the layer has none).
  TransformerLayerOutput forward(const at::Tensor& hidden, const at::Tensor& mask = {},
                                 const at::Tensor& encoder_hidden = {}, const at::Tensor& encoder_mask = {},
                                 const LayerCache& past = {}, bool need_probs = false, bool use_cache = false);

  const TransformerLayerConfig& config() const { return config_; }

  MultiHeadAttention self_attn{nullptr}, cross_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, cross_attn_layer_norm{nullptr}, ffn_layer_norm{nullptr};
  FeedForward ffn{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  TransformerLayerConfig config_;
};
TORCH_MODULE(TransformerLayer);

struct TransformerStackConfig {
  TransformerLayerConfig layer;
  int64_t num_layers = 0;
  // Index of the unique layer used at each depth (size num_layers). Empty: layer i at depth i.
  // ALBERT with one shared layer: {0, 0, ..., 0}.
  std::vector<int64_t> layer_schedule;
  bool final_layer_norm = false;  // LN after the last layer (pre-LN models: GPT-2 ln_f)
};

struct StackOutput {
  at::Tensor last_hidden_state;           // [batch, seq, hidden]
  std::vector<at::Tensor> hidden_states;  // num_layers + 1 entries: input, after each layer
                                          // (the last one after the final LN when there is one)
  std::vector<at::Tensor> attentions;     // num_layers entries [batch, heads, seq, kv_len]
  std::vector<at::Tensor> cross_attentions;
  std::vector<LayerCache> present;        // when use_cache
};

// Submodules (our names): layers (ModuleList of unique layers), [final_layer_norm].
class TransformerStackImpl : public torch::nn::Module {
 public:
  explicit TransformerStackImpl(const TransformerStackConfig& config);

  StackOutput forward(const at::Tensor& hidden, const at::Tensor& mask = {}, const at::Tensor& encoder_hidden = {},
                      const at::Tensor& encoder_mask = {}, const std::vector<LayerCache>& past = {},
                      bool output_hidden_states = false, bool output_attentions = false, bool use_cache = false);

  const TransformerStackConfig& config() const { return config_; }
  TransformerLayer layer(int64_t depth) const;  // the (possibly shared) layer used at `depth`

  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};

 private:
  TransformerStackConfig config_;
  std::vector<TransformerLayer> unique_;
};
TORCH_MODULE(TransformerStack);

}  // namespace nlp::nn
