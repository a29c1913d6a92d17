// Pooler: tanh(dense(hidden[:, 0])) — the [CLS] representation used for sentence-level tasks
// (BERT §3, Fig. 1; HF BertPooler).
#pragma once

#include <ATen/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace nlp::nn {

// Submodule (our name): dense [hidden, hidden].
class PoolerImpl : public torch::nn::Module {
 public:
  explicit PoolerImpl(int64_t hidden_size);
  at::Tensor forward(const at::Tensor& hidden);  // [batch, seq, hidden] -> [batch, hidden]
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(Pooler);

}  // namespace nlp::nn
