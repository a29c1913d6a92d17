#include "nlp/nn/init.h"

#include <torch/torch.h>

namespace nlp::nn {

void init_hf_weights(torch::nn::Module& module, double std) {
  torch::NoGradGuard no_grad;
  auto visit = [std](torch::nn::Module& m) {
    if (auto* lin = dynamic_cast<torch::nn::LinearImpl*>(&m)) {
      lin->weight.normal_(0.0, std);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* emb = dynamic_cast<torch::nn::EmbeddingImpl*>(&m)) {
      emb->weight.normal_(0.0, std);
      if (emb->options.padding_idx()) emb->weight[*emb->options.padding_idx()].zero_();
    } else if (auto* ln = dynamic_cast<torch::nn::LayerNormImpl*>(&m)) {
      if (ln->weight.defined()) ln->weight.fill_(1.0);
      if (ln->bias.defined()) ln->bias.zero_();
    }
  };
  visit(module);
  for (auto& child : module.modules(/*include_self=*/false)) visit(*child);
}

}  // namespace nlp::nn
