#include "nlp/data/multiple_choice.h"

#include <cerrno>
#include <cstdlib>

#include "nlp/data/csv.h"
#include "nlp/data/json_records.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"

namespace nlp::data {

std::string MultipleChoiceExample::choice(size_t i) const {
  return ending_prefix.empty() ? endings.at(i) : ending_prefix + " " + endings.at(i);
}

namespace {

int parse_label(const std::string& value, int lo, int hi, const std::string& where, const std::string& column) {
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0)
    fail(where, "column '" + column + "': expected an integer but got '" + value + "'");
  if (v < lo || v > hi)
    fail(where, "column '" + column + "': label " + value + " is out of range (expected " + std::to_string(lo) + ".." +
                    std::to_string(hi) + ")");
  return static_cast<int>(v);
}

void check_texts(const MultipleChoiceExample& ex, const std::string& where) {
  if (ex.context.empty()) fail(where, "empty context");
  for (size_t i = 0; i < ex.endings.size(); ++i)
    if (ex.endings[i].empty()) fail(where, "empty ending " + std::to_string(i));
}

CsvTable read_table(const std::string& path) {
  CsvTable t = make_table(parse_csv(read_file(path), path), path);
  if (t.rows.empty()) fail(path, "no examples (header only)");
  return t;
}

}  // namespace

MultipleChoiceDataset read_swag_csv(const std::string& path) {
  CsvTable t = read_table(path);
  MultipleChoiceDataset ds{path, 4, true, {}};
  const int sent1 = t.require("sent1"), sent2 = t.require("sent2");
  int endings[4];
  for (int i = 0; i < 4; ++i) endings[i] = t.require("ending" + std::to_string(i));
  const int label = t.find("label");
  const int video = t.find("video-id"), fold = t.find("fold-ind");
  ds.has_labels = label >= 0;
  for (const auto& r : t.rows) {
    MultipleChoiceExample ex;
    ex.line = r.line;
    ex.id = video >= 0 && fold >= 0 ? r.fields[video] + "-" + r.fields[fold] : "line-" + std::to_string(r.line);
    ex.context = r.fields[sent1];
    ex.ending_prefix = r.fields[sent2];
    for (int i = 0; i < 4; ++i) ex.endings.push_back(r.fields[endings[i]]);
    if (label >= 0) ex.label = parse_label(r.fields[label], 0, 3, where(path, r.line), "label");
    check_texts(ex, where(path, r.line));
    ds.examples.push_back(std::move(ex));
  }
  return ds;
}

MultipleChoiceDataset read_swag_json(const std::string& path) {
  MultipleChoiceDataset ds{path, 4, true, {}};
  std::vector<JsonRecord> records = read_json_records(path);
  if (records.empty()) fail(path, "no examples (empty file)");
  for (size_t k = 0; k < records.size(); ++k) {
    const auto& rec = records[k];
    const std::string w = where(path, rec.line);
    if (!rec.value.is_object()) fail(w, "expected a JSON object with sent1, sent2, ending0..3, label");
    JsonView v{rec.value, w};
    MultipleChoiceExample ex;
    ex.line = rec.line;
    auto text_of = [&](const char* key) {
      const json& x = rec.value.at(key);
      return x.is_string() ? x.get<std::string>() : x.dump();
    };
    if (v.has("id")) ex.id = text_of("id");
    else if (v.has("video-id") && v.has("fold-ind")) ex.id = text_of("video-id") + "-" + text_of("fold-ind");
    else ex.id = "line-" + std::to_string(rec.line);
    ex.context = v.require<std::string>("sent1");
    ex.ending_prefix = v.require<std::string>("sent2");
    for (int i = 0; i < 4; ++i) ex.endings.push_back(v.require<std::string>("ending" + std::to_string(i)));
    if (k == 0) ds.has_labels = v.has("label");
    if (ds.has_labels) {
      long label = v.require<long>("label");
      if (label < 0 || label > 3) fail(w, "field 'label': label " + std::to_string(label) + " is out of range (expected 0..3)");
      ex.label = static_cast<int>(label);
    } else if (v.has("label")) {
      fail(w, "field 'label' present although the first record has none");
    }
    check_texts(ex, w);
    ds.examples.push_back(std::move(ex));
  }
  return ds;
}

MultipleChoiceDataset read_story_cloze_csv(const std::string& path) {
  CsvTable t = read_table(path);
  MultipleChoiceDataset ds{path, 2, true, {}};
  int sentences[4];
  for (int i = 0; i < 4; ++i) sentences[i] = t.require("InputSentence" + std::to_string(i + 1));
  const int e1 = t.require("RandomFifthSentenceQuiz1"), e2 = t.require("RandomFifthSentenceQuiz2");
  const int answer = t.require("AnswerRightEnding");
  const int story_id = t.find("InputStoryid");
  for (const auto& r : t.rows) {
    MultipleChoiceExample ex;
    ex.line = r.line;
    ex.id = story_id >= 0 ? r.fields[story_id] : "line-" + std::to_string(r.line);
    for (int i = 0; i < 4; ++i) {
      if (r.fields[sentences[i]].empty()) fail(where(path, r.line), "empty InputSentence" + std::to_string(i + 1));
      ex.context += (i ? " " : "") + r.fields[sentences[i]];
    }
    ex.endings = {r.fields[e1], r.fields[e2]};
    ex.label = parse_label(r.fields[answer], 1, 2, where(path, r.line), "AnswerRightEnding") - 1;
    check_texts(ex, where(path, r.line));
    ds.examples.push_back(std::move(ex));
  }
  return ds;
}

}  // namespace nlp::data
