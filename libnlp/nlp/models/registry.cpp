#include "nlp/models/registry.h"

#include <algorithm>
#include <mutex>

#include "nlp/heads/task_models.h"
#include "nlp/models/bert.h"
#include "nlp/util/error.h"

namespace nlp::models {

namespace {
std::vector<ArchitectureEntry>& arch_list() {
  static std::vector<ArchitectureEntry> v;
  return v;
}
std::vector<NamedConfigEntry>& named_list() {
  static std::vector<NamedConfigEntry> v;
  return v;
}
// Built-in families. A new family adds its register_<family>_models() call here.
void register_builtin() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_bert_models();
  });
}
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}
}  // namespace

void register_architecture(ArchitectureEntry entry) { arch_list().push_back(std::move(entry)); }
void register_named_config(NamedConfigEntry entry) { named_list().push_back(std::move(entry)); }

const std::vector<ArchitectureEntry>& registered_architectures() {
  register_builtin();
  return arch_list();
}

const std::vector<NamedConfigEntry>& registered_named_configs() {
  register_builtin();
  return named_list();
}

std::shared_ptr<PretrainedModel> build_model(const json& config, const std::string& source, const std::string& head) {
  JsonView v{config, source};
  if (!config.is_object()) fail(source, "expected a JSON object");
  const std::string type = v.get<std::string>("model_type", "");
  std::vector<std::string> types, archs;
  const ArchitectureEntry* base = nullptr;
  for (const auto& e : registered_architectures()) {
    if (std::find(types.begin(), types.end(), e.model_type) == types.end()) types.push_back(e.model_type);
    if (e.model_type != type) continue;
    archs.push_back(e.architecture);
    if (e.is_base) base = &e;
  }
  if (archs.empty())
    fail(source, "field 'model_type': expected one of " + join(types) + " but got '" + type + "'");
  auto find = [&](const std::string& arch) -> const ArchitectureEntry* {
    for (const auto& e : registered_architectures())
      if (e.model_type == type && e.architecture == arch) return &e;
    return nullptr;
  };
  std::string arch;
  if (head == "auto" || head == "base") {
    auto listed = v.get<std::vector<std::string>>("architectures", {});
    arch = listed.empty() ? (base ? base->architecture : archs.front()) : listed.front();
    if (!find(arch))
      fail(source, "field 'architectures': expected one of " + join(archs) + " but got '" + arch + "'");
  } else {
    arch = head;
    if (!find(arch)) fail("--head", "expected auto, base or one of " + join(archs) + " but got '" + arch + "'");
  }
  std::shared_ptr<PretrainedModel> model = find(arch)->build(config, source);
  if (head == "base")
    if (auto task = std::dynamic_pointer_cast<heads::TaskModel>(model)) return task->backbone();
  return model;
}

json named_config(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& e : registered_named_configs()) {
    if (e.name == name) return e.config();
    names.push_back(e.name);
  }
  fail("--config", "unknown configuration '" + name + "' (expected one of " + join(names) + ")");
}

}  // namespace nlp::models
