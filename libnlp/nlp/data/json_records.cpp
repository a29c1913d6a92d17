#include "nlp/data/json_records.h"

#include <cctype>

#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::data {

namespace {

struct Cursor {
  const std::string& text;
  size_t pos = 0;
  size_t line = 1;
  void skip_space() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) {
      if (text[pos] == '\n') ++line;
      ++pos;
    }
  }
};

std::string location(const std::string& text, const std::string& source, size_t byte) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return source + ":" + std::to_string(line) + ":" + std::to_string(col);
}

// End (exclusive) of the JSON value starting at `begin`: brackets are balanced outside strings.
// Scalars end at whitespace, ',' or ']'. Returns npos for an unterminated value.
size_t value_end(const std::string& t, size_t begin) {
  if (t[begin] != '{' && t[begin] != '[') {
    if (t[begin] == '"') {
      for (size_t i = begin + 1; i < t.size(); ++i) {
        if (t[i] == '\\') ++i;
        else if (t[i] == '"') return i + 1;
      }
      return std::string::npos;
    }
    size_t i = begin;
    while (i < t.size() && !std::isspace(static_cast<unsigned char>(t[i])) && t[i] != ',' && t[i] != ']' && t[i] != '}') ++i;
    return i;
  }
  int depth = 0;
  bool in_string = false;
  for (size_t i = begin; i < t.size(); ++i) {
    char c = t[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string::npos;
}

template <class J>
J parse_slice(const std::string& text, const std::string& source, size_t begin, size_t end) {
  try {
    return J::parse(text.begin() + static_cast<std::ptrdiff_t>(begin), text.begin() + static_cast<std::ptrdiff_t>(end));
  } catch (const nlohmann::json::parse_error& e) {
    size_t at = begin + (e.byte > 0 ? e.byte - 1 : 0);
    std::string what = e.what();
    // drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 5: " prefix
    auto colon = what.find(": ");
    fail(location(text, source, at), "invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
  }
}

}  // namespace

nlohmann::json parse_json_document(const std::string& text, const std::string& source) {
  return parse_slice<nlohmann::json>(text, source, 0, text.size());
}

nlohmann::ordered_json parse_ordered_json_document(const std::string& text, const std::string& source) {
  return parse_slice<nlohmann::ordered_json>(text, source, 0, text.size());
}

std::vector<JsonRecord> parse_json_records(const std::string& text, const std::string& source) {
  std::vector<JsonRecord> out;
  Cursor c{text};
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) c.pos = 3;
  c.skip_space();
  if (c.pos < text.size() && text[c.pos] == '[') {
    // One array: split its elements so each keeps its own line.
    const size_t array_line = c.line;
    ++c.pos;
    c.skip_space();
    if (c.pos < text.size() && text[c.pos] == ']') {
      ++c.pos;
    } else {
      while (true) {
        c.skip_space();
        if (c.pos >= text.size()) fail(location(text, source, c.pos), "invalid JSON: unterminated array opened on line " + std::to_string(array_line));
        size_t end = value_end(text, c.pos);
        if (end == std::string::npos) end = text.size();
        out.push_back({parse_slice<nlohmann::json>(text, source, c.pos, end), c.line});
        for (size_t i = c.pos; i < end; ++i) c.line += text[i] == '\n';
        c.pos = end;
        c.skip_space();
        if (c.pos < text.size() && text[c.pos] == ',') {
          ++c.pos;
          continue;
        }
        if (c.pos < text.size() && text[c.pos] == ']') {
          ++c.pos;
          break;
        }
        fail(location(text, source, c.pos), "invalid JSON: expected ',' or ']' in the top-level array");
      }
    }
    c.skip_space();
    if (c.pos < text.size()) fail(location(text, source, c.pos), "invalid JSON: unexpected content after the top-level array");
    return out;
  }
  while (true) {
    c.skip_space();
    if (c.pos >= text.size()) break;
    size_t end = value_end(text, c.pos);
    if (end == std::string::npos) end = text.size();
    out.push_back({parse_slice<nlohmann::json>(text, source, c.pos, end), c.line});
    for (size_t i = c.pos; i < end; ++i) c.line += text[i] == '\n';
    c.pos = end;
  }
  return out;
}

std::vector<JsonRecord> read_json_records(const std::string& path) { return parse_json_records(read_file(path), path); }

}  // namespace nlp::data
