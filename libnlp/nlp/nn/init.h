// Weight initialisation of fresh models, as transformers' `_init_weights` does for BERT-style
// models: Linear weight ~ N(0, std), bias 0; Embedding ~ N(0, std) with the padding_idx row 0;
// LayerNorm weight 1, bias 0. `std` is the config's initializer_range.
#pragma once

#include <torch/nn/module.h>

namespace nlp::nn {

void init_hf_weights(torch::nn::Module& module, double std);

}  // namespace nlp::nn
