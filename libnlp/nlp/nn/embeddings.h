// Input embeddings: token + position + token type, LayerNorm, dropout (BERT paper §3, Fig. 2).
//
// One configurable block for every family:
//   BERT/ELECTRA/ALBERT  learned absolute positions 0..seq-1, token types, LayerNorm
//   RoBERTa              padding-aware positions: pad_token_id + cumsum(mask) (pad tokens get pad_token_id)
//   GPT-1/GPT-2          learned positions, no token types, no LayerNorm
//   BART/Marian          position offset / sinusoidal tables, embed_scale
// Factorized embeddings (ALBERT, ELECTRA-small) use embedding_size != hidden_size: this block
// outputs embedding_size features and the family applies its own projection to hidden_size.
#pragma once

#include <cstdint>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace nlp::nn {

enum class PositionKind {
  None,       // no position embeddings
  Absolute,   // learned table, ids 0..seq-1 (+ past length)
  PaddingAware,  // learned table, ids = pad_token_id + 1 + index among non-pad tokens (RoBERTa)
};

struct EmbeddingsConfig {
  int64_t vocab_size = 0;
  int64_t embedding_size = 0;           // output features (hidden_size unless factorized)
  int64_t max_position_embeddings = 0;  // rows of the position table
  PositionKind positions = PositionKind::Absolute;
  int64_t position_offset = 0;          // added to position ids (BART: 2)
  int64_t type_vocab_size = 0;          // 0 = no token type embeddings
  int64_t pad_token_id = -1;            // padding_idx of the word table (-1 = none)
  bool layer_norm = true;
  double layer_norm_eps = 1e-12;
  double dropout = 0.1;
  double embed_scale = 1.0;             // word embeddings multiplied by this (Marian: sqrt(d_model))
};

// Submodules (our names): word_embeddings, position_embeddings, token_type_embeddings, layer_norm.
class EmbeddingsImpl : public torch::nn::Module {
 public:
  explicit EmbeddingsImpl(const EmbeddingsConfig& config);

  // input_ids [batch, seq] int64; token_type_ids [batch, seq] or undefined (= zeros);
  // position_ids [batch or 1, seq] or undefined (computed as `positions` says, starting at
  // past_length). Returns [batch, seq, embedding_size] in the parameters' dtype.
  // Ids outside the tables raise c10::Error from the embedding lookup (index out of range).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids = {},
                     const at::Tensor& position_ids = {}, int64_t past_length = 0);

  // Position ids the block uses when none are given: [batch or 1, seq] int64.
  at::Tensor default_position_ids(const at::Tensor& input_ids, int64_t past_length) const;

  const EmbeddingsConfig& config() const { return config_; }

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  EmbeddingsConfig config_;
};
TORCH_MODULE(Embeddings);

}  // namespace nlp::nn
