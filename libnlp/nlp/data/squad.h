// Extractive question answering data: SQuAD v1.1 / v2.0 JSON and the flat Hugging Face
// `datasets` layout.
//
// Formats read:
//  - SQuAD JSON (rajpurkar.github.io/SQuAD-explorer): {"version", "data": [{"title", "paragraphs":
//    [{"context", "qas": [{"id", "question", "answers": [{"text", "answer_start"}], v2.0:
//    "is_impossible", "plausible_answers"}]}]}]}. XQuAD and KorQuAD 1.0 use the v1.1 layout.
//  - Flat `datasets` layout: {"version", "data": [{"id", "title"?, "context", "question",
//    "answers": {"text": [...], "answer_start": [...]}}]} or the same records as JSON Lines.
//    An empty answer list marks an unanswerable (v2.0) question.
// answer_start is a character (Unicode code point) offset into the context, as Python indexes
// str; the reader also gives the UTF-8 byte span, which is what tokenizer offsets use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nlp::data {

struct QaAnswer {
  std::string text;
  int64_t answer_start = 0;       // character (code point) offset into the context, as in the file
  int64_t answer_start_byte = 0;  // the same position as a UTF-8 byte offset into the context
  int64_t answer_end_byte = 0;    // answer_start_byte + text.size() (exclusive)
};

struct QaExample {
  std::string id;
  std::string title;
  std::string question;
  std::string context;
  std::vector<QaAnswer> answers;            // empty for an unanswerable (v2.0) question
  bool is_impossible = false;               // v2.0; true exactly when `answers` is empty in the flat layout
  std::vector<QaAnswer> plausible_answers;  // v2.0 only (the official files give them for impossible questions)
  size_t paragraph_index = 0;               // running paragraph number: questions on the same context share it
};

struct QaDataset {
  std::string path;
  std::string version;  // the file's "version" field as text ("1.1", "v2.0", "2", "KorQuAD_v1.0_dev"; "" if absent)
  bool is_v2 = false;   // "version" starts with "2"/"v2", or any question has is_impossible, or (flat) has no answers
  std::vector<QaExample> examples;
  size_t num_articles = 0;
  size_t num_paragraphs = 0;
};

struct QaReadOptions {
  // Check that context[answer_start : answer_start + len(text)] == text for every answer
  // (all of XQuAD and KorQuAD dev pass); a mismatch is an error naming the question.
  bool check_answer_text = true;
};

// Throws nlp::Error naming the file and the JSON path of the offending item
// ("<path>: data[3].paragraphs[0].qas[2] (id '...'): field 'answer_start': ..."), for a missing or
// mistyped field, an answer_start outside the context, an answer text that does not match the
// context, a duplicate id, or a file with no questions; JSON syntax errors name <path>:line:column.
QaDataset read_squad_json(const std::string& path, const QaReadOptions& options = {});

// Number of Unicode code points in UTF-8 text (Python len(str)).
int64_t utf8_length(const std::string& text);

}  // namespace nlp::data
