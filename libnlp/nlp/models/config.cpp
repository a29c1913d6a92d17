#include "nlp/models/config.h"

#include "nlp/util/error.h"

namespace nlp::models {

void check_one_of(const std::string& source, const std::string& field, const std::string& value,
                  const std::vector<std::string>& allowed) {
  for (const auto& a : allowed)
    if (a == value) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  fail(source, "field '" + field + "': expected one of " + list + " but got '" + value + "'");
}

void check_field(bool ok, const std::string& source, const std::string& field, const std::string& what,
                 const json& value) {
  if (!ok) json_field_error(source, field, what, value);
}

static std::optional<int64_t> optional_int(const JsonView& v, const std::string& key) {
  if (!v.has(key)) return std::nullopt;
  return v.require<int64_t>(key);
}

CommonConfig CommonConfig::parse(const JsonView& v) {
  CommonConfig c;
  c.source = v.source;
  c.raw = v.j;
  if (!v.j.is_object()) fail(v.source, "expected a JSON object");
  c.model_type = v.get<std::string>("model_type", "");
  c.architectures = v.get<std::vector<std::string>>("architectures", {});
  if (v.has("id2label")) {
    const json& m = v.j.at("id2label");
    check_field(m.is_object(), v.source, "id2label", "an object {\"0\": \"LABEL_0\", ...}", m);
    for (auto it = m.begin(); it != m.end(); ++it) {
      int64_t id = 0;
      try {
        size_t used = 0;
        id = std::stoll(it.key(), &used);
        if (used != it.key().size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        fail(v.source, "field 'id2label': key '" + it.key() + "' is not an integer");
      }
      check_field(it.value().is_string(), v.source, "id2label." + it.key(), "a string", it.value());
      c.id2label[id] = it.value().get<std::string>();
    }
    c.num_labels = static_cast<int64_t>(c.id2label.size());
  } else {
    c.num_labels = v.get<int64_t>("num_labels", 2);
    check_field(c.num_labels >= 1, v.source, "num_labels", "an integer >= 1", v.j.value("num_labels", json()));
    for (int64_t i = 0; i < c.num_labels; ++i) c.id2label[i] = "LABEL_" + std::to_string(i);
  }
  if (v.has("label2id")) {
    const json& m = v.j.at("label2id");
    check_field(m.is_object(), v.source, "label2id", "an object {\"LABEL_0\": 0, ...}", m);
    for (auto it = m.begin(); it != m.end(); ++it) {
      check_field(it.value().is_number_integer(), v.source, "label2id." + it.key(), "an integer", it.value());
      c.label2id[it.key()] = it.value().get<int64_t>();
    }
  } else {
    for (const auto& [id, name] : c.id2label) c.label2id[name] = id;
  }
  c.problem_type = v.get<std::string>("problem_type", "");
  if (!c.problem_type.empty())
    check_one_of(v.source, "problem_type", c.problem_type,
                 {"regression", "single_label_classification", "multi_label_classification"});
  c.tie_word_embeddings = v.get<bool>("tie_word_embeddings", true);
  c.is_decoder = v.get<bool>("is_decoder", false);
  c.add_cross_attention = v.get<bool>("add_cross_attention", false);
  c.pad_token_id = optional_int(v, "pad_token_id");
  c.bos_token_id = optional_int(v, "bos_token_id");
  c.eos_token_id = optional_int(v, "eos_token_id");
  c.torch_dtype = v.get<std::string>("torch_dtype", "");
  return c;
}

void CommonConfig::write(json& j) const {
  if (!model_type.empty()) j["model_type"] = model_type;
  j["architectures"] = architectures;
  json id2 = json::object();
  for (const auto& [id, name] : id2label) id2[std::to_string(id)] = name;
  j["id2label"] = id2;
  json l2i = json::object();
  for (const auto& [name, id] : label2id) l2i[name] = id;
  j["label2id"] = l2i;
  if (problem_type.empty()) j.erase("problem_type");
  else j["problem_type"] = problem_type;
  j["tie_word_embeddings"] = tie_word_embeddings;
  if (pad_token_id) j["pad_token_id"] = *pad_token_id;
  if (bos_token_id) j["bos_token_id"] = *bos_token_id;
  if (eos_token_id) j["eos_token_id"] = *eos_token_id;
}

}  // namespace nlp::models
