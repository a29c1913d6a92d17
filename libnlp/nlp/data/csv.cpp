#include "nlp/data/csv.h"

#include "nlp/util/error.h"

namespace nlp::data {

std::string where(const std::string& source, size_t line) { return source + ":" + std::to_string(line); }

static std::string_view strip_bom(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source, char delimiter) {
  text = strip_bom(text);
  std::vector<CsvRecord> records;
  size_t i = 0, line = 1;
  const size_t n = text.size();
  while (i < n) {
    // Skip a blank line.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    std::string field;
    bool end_of_record = false;
    while (!end_of_record) {
      field.clear();
      if (i < n && text[i] == '"') {
        const size_t open_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          field += c;
          ++i;
        }
        if (!closed) fail(where(source, open_line), "quoted field is never closed (missing '\"')");
        if (i < n && text[i] != delimiter && text[i] != '\n' && text[i] != '\r')
          fail(where(source, line), std::string("unexpected character '") + text[i] +
                                        "' after a closing quote (expected the delimiter or end of line)");
      } else {
        while (i < n && text[i] != delimiter && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
          field += text[i];
          ++i;
        }
      }
      rec.fields.push_back(field);
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == delimiter) {
        ++i;
        if (i >= n) {  // trailing delimiter at end of file: one more empty field
          rec.fields.emplace_back();
          end_of_record = true;
        }
      } else {  // line end
        i += text[i] == '\r' ? 2 : 1;
        ++line;
        end_of_record = true;
      }
    }
    records.push_back(std::move(rec));
  }
  return records;
}

std::vector<CsvRecord> parse_tsv(std::string_view text, const std::string& source) {
  (void)source;
  text = strip_bom(text);
  std::vector<CsvRecord> records;
  size_t i = 0, line = 1;
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view row = text.substr(i, end - i);
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    if (!row.empty()) {
      CsvRecord rec;
      rec.line = line;
      size_t s = 0;
      while (true) {
        size_t t = row.find('\t', s);
        if (t == std::string_view::npos) {
          rec.fields.emplace_back(row.substr(s));
          break;
        }
        rec.fields.emplace_back(row.substr(s, t - s));
        s = t + 1;
      }
      records.push_back(std::move(rec));
    }
    i = end + 1;
    ++line;
  }
  return records;
}

int CsvTable::find(const std::string& name) const {
  for (size_t k = 0; k < header.size(); ++k)
    if (header[k] == name) return static_cast<int>(k);
  return -1;
}

static std::string join_columns(const std::vector<std::string>& header) {
  std::string s;
  for (size_t k = 0; k < header.size(); ++k) s += (k ? ", " : "") + ("'" + header[k] + "'");
  return s;
}

int CsvTable::require(const std::string& name) const {
  int k = find(name);
  if (k < 0) fail(where(source, header_line), "missing column '" + name + "' (columns: " + join_columns(header) + ")");
  return k;
}

CsvTable make_table(std::vector<CsvRecord> records, const std::string& source) {
  CsvTable t;
  t.source = source;
  if (records.empty()) fail(source, "empty file: expected a header row and at least one data row");
  t.header = std::move(records.front().fields);
  t.header_line = records.front().line;
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].fields.size() != t.header.size())
      fail(where(source, records[r].line), "expected " + std::to_string(t.header.size()) + " fields (columns " +
                                               join_columns(t.header) + ") but found " +
                                               std::to_string(records[r].fields.size()));
    t.rows.push_back(std::move(records[r]));
  }
  return t;
}

}  // namespace nlp::data
