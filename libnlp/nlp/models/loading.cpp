#include "nlp/models/loading.h"

#include <sys/stat.h>

#include <map>
#include <set>

#include <torch/torch.h>

#include "nlp/models/registry.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::models {

namespace {

std::string fix_legacy_name(const std::string& key) {
  auto dot = key.rfind('.');
  std::string last = dot == std::string::npos ? key : key.substr(dot + 1);
  std::string head = dot == std::string::npos ? "" : key.substr(0, dot + 1);
  if (last == "gamma") return head + "weight";
  if (last == "beta") return head + "bias";
  return key;
}

std::string shape_str(at::IntArrayRef s) { return c10::str(s); }

std::string list(const std::vector<std::string>& v, size_t max = 20) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size() - max) + " more)";
  return s;
}

}  // namespace

LoadReport load_state_dict(PretrainedModel& model, const io::StateDict& state, const std::string& source) {
  LoadReport report;
  std::map<std::string, at::Tensor> params;  // HF name -> model tensor
  for (auto& [name, t] : hf_named_parameters(model)) params[name] = t;
  std::map<std::string, std::string> alias_to_source;
  for (const auto& t : model.tied_weights()) alias_to_source[t.alias] = t.source;

  const std::string prefix = model.base_model_prefix() + ".";
  // Resolves a checkpoint name against a set of names: as is, with the prefix added (bare
  // backbone checkpoint into a task model) or removed (task checkpoint into a backbone).
  auto resolve = [&](const std::string& key, const auto& names) -> std::string {
    if (names.count(key)) return key;
    if (model.is_task_model() && names.count(prefix + key)) return prefix + key;
    if (!model.is_task_model() && key.rfind(prefix, 0) == 0 && names.count(key.substr(prefix.size())))
      return key.substr(prefix.size());
    return "";
  };

  std::map<std::string, std::string> assigned;  // model name -> checkpoint key
  std::map<std::string, const at::Tensor*> alias_values;
  torch::NoGradGuard no_grad;
  for (const auto& [raw_key, tensor] : state) {
    std::string key = fix_legacy_name(raw_key);
    if (key != raw_key) report.renamed.push_back(raw_key + " -> " + key);
    std::string target = resolve(key, params);
    if (target.empty()) {
      std::string alias = resolve(key, alias_to_source);
      if (!alias.empty()) {
        alias_values[alias] = &tensor;
        report.ignored.push_back(raw_key);
      } else if (model.ignored_checkpoint_key(key)) {
        report.ignored.push_back(raw_key);
      } else {
        report.unexpected.push_back(raw_key);
      }
      continue;
    }
    if (assigned.count(target))
      fail(source, "checkpoint keys '" + assigned[target] + "' and '" + raw_key + "' both map to parameter '" + target + "'");
    at::Tensor& p = params[target];
    if (tensor.sizes() != p.sizes())
      fail(source, "parameter '" + raw_key + "': checkpoint shape " + shape_str(tensor.sizes()) +
                       " but the model expects " + shape_str(p.sizes()));
    if (!at::isFloatingType(tensor.scalar_type()) && at::isFloatingType(p.scalar_type()))
      fail(source, "parameter '" + raw_key + "': checkpoint dtype " + std::string(c10::toString(tensor.scalar_type())) +
                       " is not a floating-point type");
    p.copy_(tensor);
    assigned[target] = raw_key;
  }

  std::vector<std::string> missing;
  for (auto& [name, p] : params) {
    if (assigned.count(name)) continue;
    // A tied source absent from the file but present under its alias name.
    bool filled = false;
    for (const auto& [alias, src] : alias_to_source) {
      if (src != name || !alias_values.count(alias)) continue;
      const at::Tensor& t = *alias_values[alias];
      if (t.sizes() != p.sizes())
        fail(source, "parameter '" + alias + "': checkpoint shape " + shape_str(t.sizes()) +
                         " but the model expects " + shape_str(p.sizes()));
      p.copy_(t);
      filled = true;
      break;
    }
    if (filled) continue;
    if (model.may_be_newly_initialized(name)) report.newly_initialized.push_back(name);
    else missing.push_back(name);
  }
  if (!missing.empty())
    fail(source, "missing " + std::to_string(missing.size()) + " parameter(s) of " + model.architecture() + ": " +
                     list(missing) + (report.unexpected.empty() ? "" : "; unused checkpoint keys: " + list(report.unexpected, 5)));
  return report;
}

LoadedModel from_pretrained(const std::string& dir, const LoadOptions& options) {
  const std::string config_path = path_join(dir, "config.json");
  if (!path_exists(config_path)) fail(dir, "not a model folder: config.json is missing");
  json config = read_json_file(config_path);
  LoadedModel out;
  out.model = build_model(config, config_path, options.head);
  if (options.dtype != c10::kFloat) out.model->to(options.dtype);
  io::LoadedCheckpoint ckpt = io::load_checkpoint_dir(dir, options.prefer);
  const std::string source = ckpt.files.size() == 1 ? ckpt.files.front() : dir;
  out.report = load_state_dict(*out.model, ckpt.tensors, source);
  out.report.format = io::format_name(ckpt.format);
  out.report.files = ckpt.files;
  out.model->eval();
  return out;
}

io::StateDict state_dict_for_saving(const PretrainedModel& model) {
  std::set<std::string> aliases;
  for (const auto& t : model.tied_weights()) aliases.insert(t.alias);
  io::StateDict sd;
  for (auto& [name, t] : hf_named_parameters(model))
    if (!aliases.count(name)) sd[name] = t.detach();
  return sd;
}

void save_pretrained(const PretrainedModel& model, const std::string& dir) {
  if (!path_exists(dir) && ::mkdir(dir.c_str(), 0755) != 0) fail(dir, "cannot create directory");
  json config = model.config_json();
  auto params = model.parameters();
  if (!params.empty()) config["torch_dtype"] = dtype_name(params.front().scalar_type());
  config["transformers_version"] = config.value("transformers_version", std::string("4.31.0"));
  io::save_safetensors(path_join(dir, "model.safetensors"), state_dict_for_saving(model));
  write_file_atomic(path_join(dir, "config.json"), config.dump(2) + "\n");
}

c10::ScalarType parse_dtype(const std::string& name, const std::string& where) {
  if (name == "float32" || name == "float") return c10::kFloat;
  if (name == "bfloat16") return c10::kBFloat16;
  if (name == "float16" || name == "half") return c10::kHalf;
  fail(where, "expected float32, bfloat16 or float16 but got '" + name + "'");
}

std::string dtype_name(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return "float32";
    case c10::kBFloat16: return "bfloat16";
    case c10::kHalf: return "float16";
    case c10::kDouble: return "float64";
    default: return c10::toString(dtype);
  }
}

}  // namespace nlp::models
