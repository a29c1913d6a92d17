// GLUE readers: the TSV files of the GLUE distribution (train.tsv, dev.tsv, test.tsv;
// MNLI dev_matched.tsv / dev_mismatched.tsv), read the way Hugging Face's GLUE processors
// (transformers/data/processors/glue.py) read them: tab-separated, no quoting.
//
// Layouts (columns by header name; CoLA train/dev have no header):
//   cola   train/dev: source, label, original_mark, sentence (no header); test: index, sentence
//   sst2   sentence, label                          test: index, sentence
//   mrpc   Quality, #1 ID, #2 ID, #1 String, #2 String (label = Quality); test: index, ...
//   stsb   index, genre, ..., sentence1, sentence2, score (regression, 0..5)
//   qqp    id, qid1, qid2, question1, question2, is_duplicate;  test: id, question1, question2
//   mnli   index, ..., sentence1, sentence2, ..., gold_label
//   qnli   index, question, sentence, label
//   rte / wnli   index, sentence1, sentence2, label
// A file without the label column (the test split) is read with has_labels = false.
// Labels use the processors' label lists; label ids index label_names.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nlp::data {

struct GlueTaskInfo {
  std::string name;                      // canonical lower-case name: "cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"
  std::vector<std::string> label_names;  // processor label list, e.g. {"0","1"}, {"entailment","not_entailment"}; empty for stsb
  bool is_regression = false;            // stsb
  bool is_pair = true;                   // false for cola, sst2
};

// Accepts the canonical names and the folder spellings ("SST-2", "STS-B", "CoLA", "MNLI", ...),
// case-insensitively. Throws nlp::Error listing the known tasks.
const GlueTaskInfo& glue_task_info(const std::string& task);

struct GlueExample {
  std::string text_a;
  std::string text_b;        // empty for single-sentence tasks
  int label = -1;            // index into label_names; -1 for regression or unlabeled rows
  double score = 0.0;        // stsb similarity score (0..5); 0 otherwise
  size_t line = 0;           // 1-based line in the file
};

struct GlueDataset {
  std::string path;
  GlueTaskInfo task;
  bool has_labels = true;    // false for test files (no label column)
  std::vector<GlueExample> examples;
  std::vector<size_t> skipped_lines;  // rows dropped by GlueReadOptions::skip_malformed_rows
};

struct GlueReadOptions {
  // Drop rows with the wrong number of fields instead of failing, as Hugging Face's QQP
  // processor does (it skips rows that raise IndexError); their lines go to skipped_lines.
  // Every other problem (bad label, empty text, missing column) is still an error.
  bool skip_malformed_rows = false;
};

// Reads one GLUE TSV file. Throws nlp::Error "<path>:<line>: ..." on a row with the wrong number
// of fields, a missing column, a label not in label_names, a score that is not a number in
// [0, 5], an empty text; "<path>: no examples" on an empty file.
GlueDataset read_glue_tsv(const std::string& task, const std::string& path, const GlueReadOptions& options = {});

}  // namespace nlp::data
