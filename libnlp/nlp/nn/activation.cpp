#include "nlp/nn/activation.h"

#include <cmath>

#include <torch/torch.h>

#include "nlp/util/error.h"

namespace nlp::nn {

namespace {
struct Named {
  const char* name;
  Activation act;
};
const Named kNames[] = {
    {"gelu", Activation::Gelu},        {"gelu_new", Activation::GeluNew},
    {"gelu_fast", Activation::GeluFast}, {"gelu_pytorch_tanh", Activation::GeluPytorchTanh},
    {"quick_gelu", Activation::QuickGelu}, {"relu", Activation::Relu},
    {"silu", Activation::Silu},        {"swish", Activation::Silu},
    {"tanh", Activation::Tanh},        {"sigmoid", Activation::Sigmoid},
    {"linear", Activation::Linear},
};
}  // namespace

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& n : kNames) v.emplace_back(n.name);
    return v;
  }();
  return names;
}

Activation parse_activation(const std::string& name, const std::string& source, const std::string& field) {
  for (const auto& n : kNames)
    if (name == n.name) return n.act;
  std::string allowed;
  for (const auto& n : activation_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  fail(source, "field '" + field + "': expected one of " + allowed + " but got '" + name + "'");
}

std::string activation_name(Activation a) {
  for (const auto& n : kNames)
    if (n.act == a) return n.name;
  return "?";
}

at::Tensor activate(Activation a, const at::Tensor& x) {
  switch (a) {
    case Activation::Gelu: return torch::gelu(x);
    case Activation::GeluNew:
      return 0.5 * x * (1.0 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * torch::pow(x, 3.0))));
    case Activation::GeluFast:
      return 0.5 * x * (1.0 + torch::tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)));
    case Activation::GeluPytorchTanh: return torch::gelu(x, "tanh");
    case Activation::QuickGelu: return x * torch::sigmoid(1.702 * x);
    case Activation::Relu: return torch::relu(x);
    case Activation::Silu: return torch::silu(x);
    case Activation::Tanh: return torch::tanh(x);
    case Activation::Sigmoid: return torch::sigmoid(x);
    case Activation::Linear: return x;
  }
  return x;
}

}  // namespace nlp::nn
