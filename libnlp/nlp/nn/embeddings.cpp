#include "nlp/nn/embeddings.h"

#include <torch/torch.h>

namespace nlp::nn {

EmbeddingsImpl::EmbeddingsImpl(const EmbeddingsConfig& c) : config_(c) {
  auto word = torch::nn::EmbeddingOptions(c.vocab_size, c.embedding_size);
  if (c.pad_token_id >= 0 && c.pad_token_id < c.vocab_size) word.padding_idx(c.pad_token_id);
  word_embeddings = register_module("word_embeddings", torch::nn::Embedding(word));
  if (c.positions != PositionKind::None) {
    auto pos = torch::nn::EmbeddingOptions(c.max_position_embeddings, c.embedding_size);
    if (c.positions == PositionKind::PaddingAware && c.pad_token_id >= 0) pos.padding_idx(c.pad_token_id);
    position_embeddings = register_module("position_embeddings", torch::nn::Embedding(pos));
  }
  if (c.type_vocab_size > 0)
    token_type_embeddings = register_module(
        "token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.embedding_size));
  if (c.layer_norm)
    layer_norm = register_module(
        "layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.embedding_size}).eps(c.layer_norm_eps)));
  dropout = register_module("dropout", torch::nn::Dropout(c.dropout));
}

at::Tensor EmbeddingsImpl::default_position_ids(const at::Tensor& input_ids, int64_t past_length) const {
  int64_t seq = input_ids.size(-1);
  auto opts = input_ids.options().dtype(torch::kLong);
  if (config_.positions == PositionKind::PaddingAware) {
    // RoBERTa: non-pad tokens are numbered pad+1, pad+2, ...; pad tokens keep pad_token_id.
    auto mask = input_ids.ne(config_.pad_token_id).to(torch::kLong);
    auto incremental = (torch::cumsum(mask, 1) + past_length) * mask;
    return incremental + config_.pad_token_id + config_.position_offset;
  }
  return torch::arange(past_length, past_length + seq, opts).unsqueeze(0) + config_.position_offset;
}

at::Tensor EmbeddingsImpl::forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                   const at::Tensor& position_ids, int64_t past_length) {
  at::Tensor x = word_embeddings->forward(input_ids);
  if (config_.embed_scale != 1.0) x = x * config_.embed_scale;
  if (token_type_embeddings) {
    at::Tensor types = token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids);
    x = x + token_type_embeddings->forward(types);
  }
  if (position_embeddings) {
    at::Tensor pos = position_ids.defined() ? position_ids : default_position_ids(input_ids, past_length);
    x = x + position_embeddings->forward(pos);
  }
  if (layer_norm) x = layer_norm->forward(x);
  return dropout->forward(x);
}

}  // namespace nlp::nn
