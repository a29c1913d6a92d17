// Delimited-text parsing for dataset files.
//
// Two dialects, because the datasets use two:
//  - parse_csv: RFC 4180 CSV as Python's csv module reads it by default (quotechar '"',
//    doublequote): a field that starts with '"' may hold the delimiter, '""' (a literal quote)
//    and line breaks. Used for SWAG and Story Cloze.
//  - parse_tsv: tab-separated with NO quoting, one record per line, as the GLUE processors read
//    their files (csv.reader(delimiter="\t", quotechar=None)); a '"' is an ordinary character
//    (MRPC has fields that start with an unmatched quote).
// Both strip a leading UTF-8 byte-order mark, accept "\n" and "\r\n" line ends, skip completely
// empty lines, and record the 1-based line on which each record starts, for error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nlp::data {

struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;  // 1-based line of the file on which the record starts
};

// Throws nlp::Error "<source>:<line>: ..." on a quoted field that is never closed or a stray
// character after a closing quote.
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source, char delimiter = ',');
std::vector<CsvRecord> parse_tsv(std::string_view text, const std::string& source);

// A table with a header row: column lookup by name with errors naming the file and line.
struct CsvTable {
  std::string source;  // file path, for messages
  std::vector<std::string> header;
  size_t header_line = 0;
  std::vector<CsvRecord> rows;

  // Index of `name` in the header, or -1.
  int find(const std::string& name) const;
  // Index of `name`; throws "<source>:<header_line>: missing column '<name>' (columns: ...)".
  int require(const std::string& name) const;
};

// First record = header; every row must have exactly as many fields as the header
// ("<source>:<line>: expected N fields (columns a, b, ...) but found M").
CsvTable make_table(std::vector<CsvRecord> records, const std::string& source);

// "<source>:<line>" for messages.
std::string where(const std::string& source, size_t line);

}  // namespace nlp::data
