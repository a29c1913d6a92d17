#include "nlp/data/glue.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "nlp/data/csv.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::data {

namespace {

struct Layout {
  std::string text_a, text_b, label;  // header column names; text_b empty for single-sentence tasks
  std::string test_text_a, test_text_b;
};

const std::vector<std::pair<GlueTaskInfo, Layout>>& tasks() {
  static const std::vector<std::pair<GlueTaskInfo, Layout>> t = {
      {{"cola", {"0", "1"}, false, false}, {"sentence", "", "label", "sentence", ""}},
      {{"sst2", {"0", "1"}, false, false}, {"sentence", "", "label", "sentence", ""}},
      {{"mrpc", {"0", "1"}, false, true}, {"#1 String", "#2 String", "Quality", "#1 String", "#2 String"}},
      {{"stsb", {}, true, true}, {"sentence1", "sentence2", "score", "sentence1", "sentence2"}},
      {{"qqp", {"0", "1"}, false, true}, {"question1", "question2", "is_duplicate", "question1", "question2"}},
      {{"mnli", {"contradiction", "entailment", "neutral"}, false, true},
       {"sentence1", "sentence2", "gold_label", "sentence1", "sentence2"}},
      {{"qnli", {"entailment", "not_entailment"}, false, true}, {"question", "sentence", "label", "question", "sentence"}},
      {{"rte", {"entailment", "not_entailment"}, false, true}, {"sentence1", "sentence2", "label", "sentence1", "sentence2"}},
      {{"wnli", {"0", "1"}, false, true}, {"sentence1", "sentence2", "label", "sentence1", "sentence2"}},
  };
  return t;
}

std::string canonical(const std::string& task) {
  std::string s;
  for (char c : task)
    if (std::isalnum(static_cast<unsigned char>(c))) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "mnlimm" || s == "mnlimismatched" || s == "mnlimatched") s = "mnli";
  return s;
}

const std::pair<GlueTaskInfo, Layout>& find_task(const std::string& task) {
  const std::string c = canonical(task);
  for (const auto& t : tasks())
    if (t.first.name == c) return t;
  std::string known;
  for (const auto& t : tasks()) known += (known.empty() ? "" : ", ") + t.first.name;
  fail("GLUE task", "unknown task '" + task + "' (expected one of " + known + ")");
}

}  // namespace

const GlueTaskInfo& glue_task_info(const std::string& task) { return find_task(task).first; }

GlueDataset read_glue_tsv(const std::string& task, const std::string& path, const GlueReadOptions& options) {
  const auto& [info, layout] = find_task(task);
  GlueDataset ds;
  ds.path = path;
  ds.task = info;
  std::vector<CsvRecord> records = parse_tsv(read_file(path), path);
  if (records.empty()) fail(path, "no examples (empty file)");

  // CoLA train/dev have no header: source, label, original_mark, sentence.
  if (info.name == "cola" && records.front().fields.size() > 0 && records.front().fields[0] != "index") {
    for (const auto& r : records) {
      if (r.fields.size() != 4 && options.skip_malformed_rows) {
        ds.skipped_lines.push_back(r.line);
        continue;
      }
      if (r.fields.size() != 4)
        fail(where(path, r.line), "expected 4 tab-separated fields (source, label, original_mark, sentence) but found " +
                                      std::to_string(r.fields.size()));
      GlueExample ex;
      ex.text_a = r.fields[3];
      ex.line = r.line;
      if (r.fields[1] != "0" && r.fields[1] != "1")
        fail(where(path, r.line), "label '" + r.fields[1] + "' is not one of 0, 1");
      ex.label = r.fields[1] == "1" ? 1 : 0;
      if (ex.text_a.empty()) fail(where(path, r.line), "empty sentence");
      ds.examples.push_back(std::move(ex));
    }
    if (ds.examples.empty()) fail(path, "no examples (every row was malformed)");
    return ds;
  }

  if (options.skip_malformed_rows) {
    const size_t columns = records.front().fields.size();
    std::vector<CsvRecord> kept;
    for (auto& r : records) {
      if (r.fields.size() == columns) kept.push_back(std::move(r));
      else ds.skipped_lines.push_back(r.line);
    }
    records = std::move(kept);
  }
  CsvTable table = make_table(std::move(records), path);
  if (table.rows.empty()) fail(path, "no examples (header only)");
  const int label_col = table.find(layout.label);
  ds.has_labels = label_col >= 0;
  const int a_col = table.require(ds.has_labels ? layout.text_a : layout.test_text_a);
  const std::string b_name = ds.has_labels ? layout.text_b : layout.test_text_b;
  const int b_col = info.is_pair ? table.require(b_name) : -1;
  for (const auto& r : table.rows) {
    GlueExample ex;
    ex.line = r.line;
    ex.text_a = r.fields[a_col];
    if (b_col >= 0) ex.text_b = r.fields[b_col];
    if (ex.text_a.empty()) fail(where(path, r.line), "empty text in column '" + table.header[a_col] + "'");
    if (ds.has_labels) {
      const std::string& value = r.fields[label_col];
      if (info.is_regression) {
        errno = 0;
        char* end = nullptr;
        double v = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || errno != 0 || !std::isfinite(v))
          fail(where(path, r.line), "column '" + layout.label + "': expected a number but got '" + value + "'");
        if (v < 0.0 || v > 5.0)
          fail(where(path, r.line), "column '" + layout.label + "': score " + value + " is outside the range [0, 5]");
        ex.score = v;
      } else {
        auto it = std::find(info.label_names.begin(), info.label_names.end(), value);
        if (it == info.label_names.end()) {
          std::string expected;
          for (const auto& l : info.label_names) expected += (expected.empty() ? "" : ", ") + l;
          fail(where(path, r.line), "column '" + layout.label + "': label '" + value + "' is not one of " + expected);
        }
        ex.label = static_cast<int>(it - info.label_names.begin());
      }
    }
    ds.examples.push_back(std::move(ex));
  }
  return ds;
}

}  // namespace nlp::data
