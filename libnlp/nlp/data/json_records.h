// Reading a file that holds JSON records in any of the layouts dataset dumps use: one JSON
// array of objects, JSON Lines (one object per line), or objects simply concatenated (as the
// Hugging Face test samples are), or a single object. Each record keeps the line it starts on.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nlp/util/json.h"

namespace nlp::data {

struct JsonRecord {
  json value;
  size_t line = 0;  // 1-based line where the record (or array element) starts
};

// Throws nlp::Error "<source>:<line>:<column>: invalid JSON: ..." on a syntax error.
std::vector<JsonRecord> read_json_records(const std::string& path);
std::vector<JsonRecord> parse_json_records(const std::string& text, const std::string& source);

// Parses one JSON document; syntax errors name "<source>:<line>:<column>". Object key order is kept
// (ordered_json) where `ordered` is asked for (na_probs files: the official SQuAD v2 script breaks
// ties in file order).
json parse_json_document(const std::string& text, const std::string& source);
nlohmann::ordered_json parse_ordered_json_document(const std::string& text, const std::string& source);

}  // namespace nlp::data
