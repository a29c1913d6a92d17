// Published configurations without weights ("bert-base-uncased", "albert-base-v2", "gpt2", ...)
// for `nlp info --config NAME`, benchmarks and parameter-count tests. Each entry is the
// architecture-defining part of the checkpoint's config.json on the Hugging Face hub plus the
// class whose parameters are counted; building it needs no files.
//
// Adding a configuration is one line in the table in standard_configs.cpp:
//   {"gpt2", "GPT2Model", R"({"model_type": "gpt2", "n_embd": 768, ...})"},
// or, from another translation unit, one static registration:
//   static const nlp::models::StandardConfigRegistration reg{{"marian-en-de", "MarianMTModel", R"({...})"}};
// Every entry is also a registry named config (registry.h named_config()), so build_model and
// `nlp info --config NAME` find it.
#pragma once

#include <string>
#include <vector>

#include "nlp/util/json.h"

namespace nlp::models {

struct StandardConfig {
  std::string name;          // hub name, e.g. "bert-base-uncased", "google/electra-small-discriminator"
  std::string architecture;  // counted class: "BertModel", "ElectraForPreTraining", ...
  std::string config;        // config.json fields (JSON text); model_type is required
};

// Adds an entry (before or after the first lookup). Throws nlp::Error for a duplicate name,
// JSON that does not parse or lacks model_type.
void add_standard_config(const StandardConfig& entry);

struct StandardConfigRegistration {
  explicit StandardConfigRegistration(const StandardConfig& entry) { add_standard_config(entry); }
};

// The table plus added entries, in order.
const std::vector<StandardConfig>& standard_configs();

// config.json content of `name` with architectures = [architecture]; throws nlp::Error
// ("--config: unknown configuration 'x' (expected one of ...)").
json standard_config_json(const std::string& name);

// Registers every entry as a registry named config (called once by the registry).
void register_standard_configs();

}  // namespace nlp::models
