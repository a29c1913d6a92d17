#include "nlp/nn/pooler.h"

#include <torch/torch.h>

namespace nlp::nn {

PoolerImpl::PoolerImpl(int64_t hidden_size) {
  dense = register_module("dense", torch::nn::Linear(hidden_size, hidden_size));
}

at::Tensor PoolerImpl::forward(const at::Tensor& hidden) {
  using torch::indexing::Slice;
  return torch::tanh(dense->forward(hidden.index({Slice(), 0})));
}

}  // namespace nlp::nn
