#include "nlp/models/standard_configs.h"

#include "nlp/models/registry.h"
#include "nlp/util/error.h"

namespace nlp::models {

namespace {

// The published configurations: name, counted class, config.json fields of the hub checkpoint.
// clang-format off
const StandardConfig kTable[] = {
  // BERT (Devlin et al. 2019, Table/§3.1: BASE L=12 H=768 A=12, LARGE L=24 H=1024 A=16)
  {"bert-base-uncased", "BertModel", R"({"model_type": "bert", "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"bert-large-uncased", "BertModel", R"({"model_type": "bert", "vocab_size": 30522, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  // SpanBERT (Joshi et al. 2020): BERT's architecture with the cased vocabulary, no NSP
  {"spanbert-base-cased", "BertModel", R"({"model_type": "bert", "vocab_size": 28996, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"spanbert-large-cased", "BertModel", R"({"model_type": "bert", "vocab_size": 28996, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  // RoBERTa (Liu et al. 2019): BERT sizes, byte-level BPE vocabulary, 514 positions, one token type
  {"roberta-base", "RobertaModel", R"({"model_type": "roberta", "vocab_size": 50265, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 514, "type_vocab_size": 1, "layer_norm_eps": 1e-05, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2})"},
  {"roberta-large", "RobertaModel", R"({"model_type": "roberta", "vocab_size": 50265, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096, "max_position_embeddings": 514, "type_vocab_size": 1, "layer_norm_eps": 1e-05, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2})"},
  // ALBERT v2 (Lan et al. 2020, Table 1): E=128, all layers shared
  {"albert-base-v2", "AlbertModel", R"({"model_type": "albert", "vocab_size": 30000, "embedding_size": 128, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "num_hidden_groups": 1, "inner_group_num": 1, "hidden_act": "gelu_new", "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"albert-large-v2", "AlbertModel", R"({"model_type": "albert", "vocab_size": 30000, "embedding_size": 128, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096, "num_hidden_groups": 1, "inner_group_num": 1, "hidden_act": "gelu_new", "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"albert-xlarge-v2", "AlbertModel", R"({"model_type": "albert", "vocab_size": 30000, "embedding_size": 128, "hidden_size": 2048, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 8192, "num_hidden_groups": 1, "inner_group_num": 1, "hidden_act": "gelu_new", "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"albert-xxlarge-v2", "AlbertModel", R"({"model_type": "albert", "vocab_size": 30000, "embedding_size": 128, "hidden_size": 4096, "num_hidden_layers": 12, "num_attention_heads": 64, "intermediate_size": 16384, "num_hidden_groups": 1, "inner_group_num": 1, "hidden_act": "gelu_new", "max_position_embeddings": 512, "type_vocab_size": 2})"},
  // ELECTRA (Clark et al. 2020, Table 6/7): discriminators (replaced token detection) and generators (MLM)
  {"electra-small-discriminator", "ElectraForPreTraining", R"({"model_type": "electra", "vocab_size": 30522, "embedding_size": 128, "hidden_size": 256, "num_hidden_layers": 12, "num_attention_heads": 4, "intermediate_size": 1024, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"electra-base-discriminator", "ElectraForPreTraining", R"({"model_type": "electra", "vocab_size": 30522, "embedding_size": 768, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"electra-large-discriminator", "ElectraForPreTraining", R"({"model_type": "electra", "vocab_size": 30522, "embedding_size": 1024, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"electra-small-generator", "ElectraForMaskedLM", R"({"model_type": "electra", "vocab_size": 30522, "embedding_size": 128, "hidden_size": 256, "num_hidden_layers": 12, "num_attention_heads": 4, "intermediate_size": 1024, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"electra-base-generator", "ElectraForMaskedLM", R"({"model_type": "electra", "vocab_size": 30522, "embedding_size": 768, "hidden_size": 256, "num_hidden_layers": 12, "num_attention_heads": 4, "intermediate_size": 1024, "max_position_embeddings": 512, "type_vocab_size": 2})"},
  {"electra-large-generator", "ElectraForMaskedLM", R"({"model_type": "electra", "vocab_size": 30522, "embedding_size": 1024, "hidden_size": 256, "num_hidden_layers": 24, "num_attention_heads": 4, "intermediate_size": 1024, "max_position_embeddings": 512, "type_vocab_size": 2})"},
};
// clang-format on

struct State {
  std::vector<StandardConfig> entries;
  bool registered = false;  // entries are in the registry's named configs
};

State& state() {
  static State s = [] {
    State s;
    s.entries.assign(std::begin(kTable), std::end(kTable));
    return s;
  }();
  return s;
}

json parse_entry(const StandardConfig& e) {
  json j;
  try {
    j = json::parse(e.config);
  } catch (const json::exception& ex) {
    fail("standard config '" + e.name + "'", std::string("invalid JSON: ") + ex.what());
  }
  if (!j.is_object() || !j.contains("model_type") || !j["model_type"].is_string())
    fail("standard config '" + e.name + "'", "field 'model_type': expected a string (field is missing)");
  j["architectures"] = json::array({e.architecture});
  return j;
}

void register_one(const StandardConfig& e) {
  const std::string model_type = parse_entry(e)["model_type"].get<std::string>();
  register_named_config({e.name, model_type, [e] { return parse_entry(e); }});
}

}  // namespace

void add_standard_config(const StandardConfig& entry) {
  State& s = state();
  for (const auto& e : s.entries)
    if (e.name == entry.name) fail("standard config '" + entry.name + "'", "added twice");
  parse_entry(entry);
  s.entries.push_back(entry);
  if (s.registered) register_one(entry);
}

const std::vector<StandardConfig>& standard_configs() { return state().entries; }

json standard_config_json(const std::string& name) {
  std::string names;
  for (const auto& e : standard_configs()) {
    if (e.name == name) return parse_entry(e);
    names += (names.empty() ? "" : ", ") + e.name;
  }
  fail("--config", "unknown configuration '" + name + "' (expected one of " + names + ")");
}

void register_standard_configs() {
  State& s = state();
  if (s.registered) return;
  s.registered = true;
  for (const auto& e : s.entries) register_one(e);
}

}  // namespace nlp::models
