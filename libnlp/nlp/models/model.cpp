#include "nlp/models/model.h"

#include <set>

#include <torch/torch.h>

#include "nlp/util/error.h"

namespace nlp::models {

KeyRules& KeyRules::add(std::string ours, std::string hf) {
  rules_.emplace_back(std::move(ours), std::move(hf));
  return *this;
}

KeyRules& KeyRules::append(const KeyRules& other) {
  rules_.insert(rules_.end(), other.rules_.begin(), other.rules_.end());
  return *this;
}

std::string KeyRules::to_hf(const std::string& ours) const {
  std::string name = ours;
  for (const auto& [from, to] : rules_) {
    for (size_t pos = name.find(from); pos != std::string::npos; pos = name.find(from, pos + 1)) {
      size_t end = pos + from.size();
      bool starts = pos == 0 || name[pos - 1] == '.';
      bool ends = end == name.size() || name[end] == '.';
      if (!starts || !ends) continue;
      if (to.empty()) {  // drop the fragment and one adjacent dot
        if (end < name.size()) name.erase(pos, from.size() + 1);
        else name.erase(pos > 0 ? pos - 1 : pos, from.size() + (pos > 0 ? 1 : 0));
      } else {
        name.replace(pos, from.size(), to);
      }
      break;
    }
  }
  return name;
}

bool PretrainedModel::ignored_checkpoint_key(const std::string& hf_key) const {
  const std::string suffix = "position_ids";
  return hf_key.size() >= suffix.size() && hf_key.compare(hf_key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void BackboneOutput::write(TensorMap& out) const {
  out["last_hidden_state"] = last_hidden_state;
  if (pooler_output.defined()) out["pooler_output"] = pooler_output;
  for (size_t i = 0; i < hidden_states.size(); ++i) out["hidden_states." + std::to_string(i)] = hidden_states[i];
  for (size_t i = 0; i < attentions.size(); ++i) out["attentions." + std::to_string(i)] = attentions[i];
}

TensorMap Backbone::forward(const TensorMap& inputs, const ForwardOptions& options) {
  TensorMap out;
  encode(inputs, options).write(out);
  return out;
}

const at::Tensor& require_input(const TensorMap& inputs, const std::string& name) {
  auto it = inputs.find(name);
  if (it == inputs.end() || !it->second.defined()) fail("inputs", "missing required tensor '" + name + "'");
  return it->second;
}

at::Tensor optional_input(const TensorMap& inputs, const std::string& name) {
  auto it = inputs.find(name);
  return it == inputs.end() ? at::Tensor() : it->second;
}

int64_t num_parameters(const torch::nn::Module& model, bool only_trainable) {
  std::set<const void*> seen;
  int64_t n = 0;
  for (const auto& p : model.parameters(true)) {
    if (only_trainable && !p.requires_grad()) continue;
    if (!seen.insert(p.unsafeGetTensorImpl()).second) continue;
    n += p.numel();
  }
  return n;
}

std::vector<std::pair<std::string, at::Tensor>> hf_named_parameters(const PretrainedModel& model) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  std::set<const void*> seen;
  for (const auto& item : model.named_parameters(true)) {
    if (!seen.insert(item.value().unsafeGetTensorImpl()).second) continue;
    out.emplace_back(model.hf_name(item.key()), item.value());
  }
  for (const auto& item : model.named_buffers(true)) {
    if (!seen.insert(item.value().unsafeGetTensorImpl()).second) continue;
    out.emplace_back(model.hf_name(item.key()), item.value());
  }
  return out;
}

}  // namespace nlp::models
