// Registry from config.json (`model_type` + `architectures`) to the module to build.
//
// Each family registers one entry per architecture it supports in its register_<family>_models()
// function, and that function is called once from registry.cpp (register_builtin). Adding a family =
// one line there. Published configurations without weights ("bert-base", "gpt2", ...) are
// registered the same way (for `nlp info --config NAME` and benchmarks).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nlp/models/model.h"
#include "nlp/util/json.h"

namespace nlp::models {

struct ArchitectureEntry {
  std::string model_type;    // config.json model_type ("bert")
  std::string architecture;  // "BertForSequenceClassification"
  bool is_base = false;      // the bare backbone of this model_type (used when architectures is absent)
  // Builds a freshly initialised model from config.json content; `source` names the file for errors.
  std::function<std::shared_ptr<PretrainedModel>(const json& config, const std::string& source)> build;
};

struct NamedConfigEntry {
  std::string name;  // "bert-base"
  std::string model_type;
  std::function<json()> config;  // config.json content
};

void register_architecture(ArchitectureEntry entry);
void register_named_config(NamedConfigEntry entry);
const std::vector<ArchitectureEntry>& registered_architectures();
const std::vector<NamedConfigEntry>& registered_named_configs();

// Builds the model that config.json describes, freshly initialised (transformers' init).
//   head "auto": the first entry of `architectures` (the base model when absent);
//   head "base": the backbone of that architecture (as the head model builds it, e.g. no pooler
//                for BertForQuestionAnswering);
//   otherwise an architecture name of the same model_type ("BertForSequenceClassification").
// Throws nlp::Error naming `source`: unknown model_type (listing the known ones), unknown
// architecture (listing those of the model_type), or any config error of the family.
std::shared_ptr<PretrainedModel> build_model(const json& config, const std::string& source,
                                             const std::string& head = "auto");

// config.json content of a published configuration; throws nlp::Error listing the known names.
json named_config(const std::string& name);

}  // namespace nlp::models
