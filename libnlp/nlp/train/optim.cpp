#include "nlp/train/optim.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::train {

namespace {

std::vector<std::string> split_dots(const std::string& name) {
  std::vector<std::string> parts;
  size_t s = 0;
  while (true) {
    size_t d = name.find('.', s);
    parts.push_back(name.substr(s, d == std::string::npos ? std::string::npos : d - s));
    if (d == std::string::npos) break;
    s = d + 1;
  }
  return parts;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

NamedParameters trainable_parameters(const torch::nn::Module& module) {
  NamedParameters out;
  for (const auto& item : module.named_parameters(/*recurse=*/true))
    if (item.value().requires_grad()) out.emplace_back(item.key(), item.value());
  return out;
}

bool excluded_from_weight_decay(const std::string& name) {
  const std::string l = lower(name);
  if (l.find("bias") != std::string::npos) return true;
  if (l.find("layernorm") != std::string::npos || l.find("layer_norm") != std::string::npos) return true;
  for (const auto& part : split_dots(name))
    if (part.rfind("ln_", 0) == 0) return true;
  return false;
}

std::optional<int> layer_index(const std::string& name) {
  const auto parts = split_dots(name);
  for (size_t i = 0; i + 1 < parts.size(); ++i)
    if ((parts[i] == "layer" || parts[i] == "layers" || parts[i] == "h") && all_digits(parts[i + 1]))
      return std::stoi(parts[i + 1]);
  return std::nullopt;
}

bool is_embedding_parameter(const std::string& name) {
  for (const auto& part : split_dots(name))
    if (part.find("embeddings") != std::string::npos || part == "wte" || part == "wpe") return true;
  return false;
}

double layer_lr_scale(const std::string& name, const LayerDecay& ld) {
  if (ld.decay == 1.0) return 1.0;
  if (!(ld.decay > 0.0 && ld.decay <= 1.0)) fail("layer_decay", "decay must be in (0, 1] but got " + std::to_string(ld.decay));
  if (ld.num_layers <= 0) fail("layer_decay", "num_layers must be positive when decay != 1");
  if (is_embedding_parameter(name)) return std::pow(ld.decay, ld.num_layers + 1);
  if (auto i = layer_index(name)) {
    if (*i >= ld.num_layers)
      fail(name, "layer index " + std::to_string(*i) + " is not below num_layers " + std::to_string(ld.num_layers));
    return std::pow(ld.decay, ld.num_layers - *i);
  }
  return 1.0;
}

std::vector<ParamGroup> make_param_groups(const NamedParameters& named, double lr, double weight_decay, const LayerDecay& layer_decay) {
  if (named.empty()) fail("make_param_groups", "no trainable parameters");
  std::vector<ParamGroup> groups;
  std::map<std::pair<double, double>, size_t> index;  // (weight decay, scale) -> group
  std::set<std::string> seen;
  for (const auto& [name, p] : named) {
    if (!seen.insert(name).second) fail("make_param_groups", "duplicate parameter name '" + name + "'");
    const double wd = excluded_from_weight_decay(name) ? 0.0 : weight_decay;
    const double scale = layer_lr_scale(name, layer_decay);
    auto key = std::make_pair(wd, scale);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, groups.size()).first;
      ParamGroup g;
      g.initial_lr = lr * scale;
      g.lr = g.initial_lr;
      g.weight_decay = wd;
      groups.push_back(g);
    }
    groups[it->second].names.push_back(name);
    groups[it->second].params.push_back(p);
  }
  return groups;
}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options) : groups_(std::move(groups)), options_(options) {
  if (groups_.empty()) fail("AdamW", "no parameter groups");
  if (!(options_.beta1 >= 0 && options_.beta1 < 1) || !(options_.beta2 >= 0 && options_.beta2 < 1))
    fail("AdamW", "betas must be in [0, 1)");
  if (!(options_.eps >= 0)) fail("AdamW", "eps must be non-negative");
  for (auto& g : groups_) {
    if (g.names.size() != g.params.size()) fail("AdamW", "a parameter group has names and params of different lengths");
    state_.emplace_back(g.params.size());
  }
}

void AdamW::step() {
  torch::NoGradGuard no_grad;
  const double b1 = options_.beta1, b2 = options_.beta2, eps = options_.eps;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const ParamGroup& g = groups_[gi];
    for (size_t pi = 0; pi < g.params.size(); ++pi) {
      at::Tensor p = g.params[pi];
      const at::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      if (grad.is_sparse()) fail(g.names[pi], "AdamW does not support sparse gradients");
      State& s = state_[gi][pi];
      if (!s.exp_avg.defined()) {
        s.exp_avg = torch::zeros_like(p, at::MemoryFormat::Preserve);
        s.exp_avg_sq = torch::zeros_like(p, at::MemoryFormat::Preserve);
      }
      s.step += 1;
      const double t = static_cast<double>(s.step);
      const double bc1 = 1.0 - std::pow(b1, t);
      const double bc2 = 1.0 - std::pow(b2, t);
      if (options_.variant == AdamWVariant::torch) {
        p.mul_(1.0 - g.lr * g.weight_decay);
        s.exp_avg.mul_(b1).add_(grad, 1.0 - b1);
        s.exp_avg_sq.mul_(b2).addcmul_(grad, grad, 1.0 - b2);
        const double step_size = g.lr / bc1;
        at::Tensor denom = (s.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(eps);
        p.addcdiv_(s.exp_avg, denom, -step_size);
      } else {
        s.exp_avg.mul_(b1).add_(grad, 1.0 - b1);
        s.exp_avg_sq.mul_(b2).addcmul_(grad, grad, 1.0 - b2);
        at::Tensor denom = s.exp_avg_sq.sqrt().add_(eps);
        double step_size = g.lr;
        if (options_.correct_bias) step_size = step_size * std::sqrt(bc2) / bc1;
        p.addcdiv_(s.exp_avg, denom, -step_size);
        if (g.weight_decay > 0.0) p.add_(p, -g.lr * g.weight_decay);
      }
    }
  }
  ++steps_;
}

void AdamW::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params)
      if (p.grad().defined()) {
        p.mutable_grad().detach_();
        p.mutable_grad().zero_();
      }
}

void AdamW::set_lr_factor(double factor) {
  for (auto& g : groups_) g.lr = g.initial_lr * factor;
}

void AdamW::save(torch::serialize::OutputArchive& archive) const {
  archive.write("format", c10::IValue(std::string("libnlp.adamw.v1")));
  archive.write("variant", c10::IValue(std::string(options_.variant == AdamWVariant::torch ? "torch" : "hf")));
  archive.write("steps", c10::IValue(steps_));
  archive.write("num_groups", c10::IValue(static_cast<int64_t>(groups_.size())));
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& g = groups_[gi];
    const std::string gk = "group" + std::to_string(gi) + "_";
    archive.write(gk + "num_params", c10::IValue(static_cast<int64_t>(g.params.size())));
    archive.write(gk + "lr", c10::IValue(g.lr));
    archive.write(gk + "initial_lr", c10::IValue(g.initial_lr));
    archive.write(gk + "weight_decay", c10::IValue(g.weight_decay));
    for (size_t pi = 0; pi < g.params.size(); ++pi) {
      const std::string pk = gk + "param" + std::to_string(pi) + "_";
      const State& s = state_[gi][pi];
      archive.write(pk + "name", c10::IValue(g.names[pi]));
      archive.write(pk + "step", c10::IValue(s.step));
      if (s.exp_avg.defined()) {
        archive.write(pk + "exp_avg", s.exp_avg, /*is_buffer=*/true);
        archive.write(pk + "exp_avg_sq", s.exp_avg_sq, /*is_buffer=*/true);
      }
    }
  }
}

void AdamW::load(torch::serialize::InputArchive& archive, const std::string& source) {
  auto read_ivalue = [&](const std::string& key) {
    c10::IValue v;
    if (!archive.try_read(key, v)) fail(source, "missing entry '" + key + "' (not a libnlp AdamW state?)");
    return v;
  };
  auto format = read_ivalue("format");
  if (!format.isString() || format.toStringRef() != "libnlp.adamw.v1") fail(source, "not a libnlp AdamW state (format entry)");
  const std::string variant = read_ivalue("variant").toStringRef();
  const std::string mine = options_.variant == AdamWVariant::torch ? "torch" : "hf";
  if (variant != mine) fail(source, "saved with the '" + variant + "' AdamW variant but this optimizer is '" + mine + "'");
  const int64_t num_groups = read_ivalue("num_groups").toInt();
  if (num_groups != static_cast<int64_t>(groups_.size()))
    fail(source, "has " + std::to_string(num_groups) + " parameter groups but this optimizer has " + std::to_string(groups_.size()));
  // Read everything first so a mismatch leaves this optimizer untouched.
  std::vector<std::vector<State>> state(groups_.size());
  std::vector<std::array<double, 3>> group_values(groups_.size());
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& g = groups_[gi];
    const std::string gk = "group" + std::to_string(gi) + "_";
    const int64_t n = read_ivalue(gk + "num_params").toInt();
    if (n != static_cast<int64_t>(g.params.size()))
      fail(source, "group " + std::to_string(gi) + " has " + std::to_string(n) + " parameters but this optimizer's has " +
                       std::to_string(g.params.size()));
    group_values[gi] = {read_ivalue(gk + "lr").toDouble(), read_ivalue(gk + "initial_lr").toDouble(),
                        read_ivalue(gk + "weight_decay").toDouble()};
    state[gi].resize(g.params.size());
    for (size_t pi = 0; pi < g.params.size(); ++pi) {
      const std::string pk = gk + "param" + std::to_string(pi) + "_";
      const std::string name = read_ivalue(pk + "name").toStringRef();
      if (name != g.names[pi])
        fail(source, "group " + std::to_string(gi) + " parameter " + std::to_string(pi) + " is '" + name + "' but this optimizer has '" +
                         g.names[pi] + "'");
      State& s = state[gi][pi];
      s.step = read_ivalue(pk + "step").toInt();
      at::Tensor m, v;
      if (archive.try_read(pk + "exp_avg", m, true) && archive.try_read(pk + "exp_avg_sq", v, true)) {
        if (m.sizes() != g.params[pi].sizes() || v.sizes() != g.params[pi].sizes())
          fail(source, "parameter '" + name + "': saved state has shape " + c10::str(m.sizes()) + " but the parameter has " +
                           c10::str(g.params[pi].sizes()));
        s.exp_avg = m.to(g.params[pi].options());
        s.exp_avg_sq = v.to(g.params[pi].options());
      }
    }
  }
  state_ = std::move(state);
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    groups_[gi].lr = group_values[gi][0];
    groups_[gi].initial_lr = group_values[gi][1];
    groups_[gi].weight_decay = group_values[gi][2];
  }
  steps_ = read_ivalue("steps").toInt();
}

void AdamW::save(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  save(archive);
  write_atomic_with(path, [&](const std::string& tmp) { archive.save_to(tmp); });
}

void AdamW::load(const std::string& path) {
  if (!path_exists(path)) fail(path, "optimizer state file does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    fail(path, std::string("cannot read optimizer state: ") + e.what_without_backtrace());
  }
  load(archive, path);
}

double clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  std::vector<at::Tensor> norms;
  norms.reserve(grads.size());
  for (const auto& g : grads) norms.push_back(g.detach().norm(2.0));
  at::Tensor total = torch::stack(norms).norm(2.0);
  // PyTorch evaluates `max_norm / (total + 1e-6)` as Tensor.__rtruediv__: reciprocal() * max_norm.
  at::Tensor coef = (total + 1e-6).reciprocal() * max_norm;
  at::Tensor coef_clamped = torch::clamp(coef, c10::nullopt, 1.0);
  for (auto& g : grads) g.detach().mul_(coef_clamped);
  return total.item<double>();
}

double clip_grad_norm(const std::vector<ParamGroup>& groups, double max_norm) {
  std::vector<at::Tensor> params;
  for (const auto& g : groups) params.insert(params.end(), g.params.begin(), g.params.end());
  return clip_grad_norm(params, max_norm);
}

}  // namespace nlp::train
