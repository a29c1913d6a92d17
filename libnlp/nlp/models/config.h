// Fields every Hugging Face config.json shares (transformers' PretrainedConfig), parsed with
// its defaults. Family configs (BertConfig, ...) embed this and parse their own fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nlp/util/json.h"

namespace nlp::models {

struct CommonConfig {
  std::string model_type;
  std::vector<std::string> architectures;
  // Labels: num_labels is len(id2label) when id2label is given, else `num_labels`, else 2.
  int64_t num_labels = 2;
  std::map<int64_t, std::string> id2label;  // default LABEL_0..LABEL_{n-1}
  std::map<std::string, int64_t> label2id;
  std::string problem_type;  // "" (infer), regression, single_label_classification, multi_label_classification
  bool tie_word_embeddings = true;
  bool is_decoder = false;
  bool add_cross_attention = false;
  std::optional<int64_t> pad_token_id, bos_token_id, eos_token_id;
  std::string torch_dtype;  // as written ("float32"), informational
  json raw;                 // the whole file, kept so save_pretrained preserves unknown fields
  std::string source;       // "<dir>/config.json", for error messages

  // Throws nlp::Error naming `source` and the field for wrong types and unsupported values.
  static CommonConfig parse(const JsonView& v);
  // Writes the common fields into `j` (over whatever is there).
  void write(json& j) const;
};

// Throws "<source>: field '<field>': expected one of a, b, c but got '<value>'" unless allowed.
void check_one_of(const std::string& source, const std::string& field, const std::string& value,
                  const std::vector<std::string>& allowed);

// Throws "<source>: field '<field>': expected <what> but got <value>" unless ok.
void check_field(bool ok, const std::string& source, const std::string& field, const std::string& what,
                 const json& value);

}  // namespace nlp::models
