// Activation functions selected by the names Hugging Face configs use (`hidden_act`,
// `activation_function`). Formulas follow transformers 4.31 `activations.py` exactly:
//   gelu              x * 0.5 * (1 + erf(x / sqrt(2)))                      (BERT, exact)
//   gelu_new          0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))        (GPT-2, OpenAI GPT)
//   gelu_fast         0.5 x (1 + tanh(0.7978845608 x (1 + 0.044715 x^2)))
//   gelu_pytorch_tanh torch gelu(approximate='tanh')
//   quick_gelu        x * sigmoid(1.702 x)
//   relu, silu == swish (x * sigmoid(x)), tanh, sigmoid, linear (identity)
#pragma once

#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace nlp::nn {

enum class Activation { Gelu, GeluNew, GeluFast, GeluPytorchTanh, QuickGelu, Relu, Silu, Tanh, Sigmoid, Linear };

// Parses a Hugging Face activation name. Throws nlp::Error
// "<source>: field '<field>': expected one of gelu, gelu_new, ... but got '<name>'".
Activation parse_activation(const std::string& name, const std::string& source = "config.json",
                            const std::string& field = "hidden_act");

// The accepted names, in the order the error message lists them.
const std::vector<std::string>& activation_names();

// Canonical name ("silu" for both silu and swish).
std::string activation_name(Activation a);

// Applies the activation elementwise; same shape and dtype as `x`.
at::Tensor activate(Activation a, const at::Tensor& x);

}  // namespace nlp::nn
