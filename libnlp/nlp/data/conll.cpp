#include "nlp/data/conll.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <unordered_map>

#include "nlp/data/csv.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::data {

const std::vector<std::string>& conll2003_ner_labels() {
  static const std::vector<std::string> labels = {"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"};
  return labels;
}

static std::string tag_type(const std::string& tag) { return tag.size() > 2 ? tag.substr(2) : std::string(); }

std::vector<std::string> iob1_to_bio(const std::vector<std::string>& tags) {
  std::vector<std::string> out(tags);
  for (size_t i = 0; i < tags.size(); ++i) {
    const std::string& t = tags[i];
    if (t.rfind("I-", 0) != 0) continue;
    const bool continues = i > 0 && tags[i - 1] != "O" && tag_type(tags[i - 1]) == tag_type(t);
    if (!continues) out[i] = "B-" + tag_type(t);
  }
  return out;
}

std::vector<int> tags_to_ids(const std::vector<std::string>& tags, const std::vector<std::string>& label_names) {
  std::vector<int> ids;
  ids.reserve(tags.size());
  for (const auto& t : tags) {
    auto it = std::find(label_names.begin(), label_names.end(), t);
    if (it == label_names.end()) fail("tags_to_ids", "tag '" + t + "' is not in the label list");
    ids.push_back(static_cast<int>(it - label_names.begin()));
  }
  return ids;
}

ConllDataset read_conll2003(const std::string& path, const ConllReadOptions& options) {
  const std::string text = read_file(path);
  ConllDataset ds;
  ds.path = path;
  ConllSentence cur;
  size_t columns = 0;
  auto flush = [&]() {
    if (cur.tokens.empty()) return;
    if (options.convert_iob1_to_bio) cur.ner_tags = iob1_to_bio(cur.ner_tags);
    ds.sentences.push_back(std::move(cur));
    cur = ConllSentence{};
  };
  std::istringstream in(text);
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    std::vector<std::string> fields;
    {
      std::istringstream ls(line);
      std::string f;
      while (ls >> f) fields.push_back(f);
    }
    if (fields.empty()) {
      flush();
      continue;
    }
    if (fields[0] == "-DOCSTART-") {
      flush();
      ++ds.num_documents;
      continue;
    }
    if (columns == 0) {
      if (fields.size() < 2) fail(where(path, lineno), "expected at least 2 space-separated columns (word ... NER tag) but found 1");
      columns = fields.size();
    }
    if (fields.size() != columns)
      fail(where(path, lineno), "expected " + std::to_string(columns) + " columns (word POS chunk NER) like the first token line but found " +
                                    std::to_string(fields.size()));
    const std::string& tag = fields.back();
    const bool valid = tag == "O" || ((tag.rfind("B-", 0) == 0 || tag.rfind("I-", 0) == 0) && tag.size() > 2);
    if (!valid) fail(where(path, lineno), "NER tag '" + tag + "' is not O, B-<type> or I-<type>");
    if (cur.tokens.empty()) {
      cur.line = lineno;
      cur.document = ds.num_documents > 0 ? ds.num_documents - 1 : 0;
    }
    cur.tokens.push_back(fields[0]);
    if (columns >= 3) cur.pos_tags.push_back(fields[1]);
    if (columns >= 4) cur.chunk_tags.push_back(fields[2]);
    cur.ner_tags.push_back(tag);
  }
  flush();
  if (ds.sentences.empty()) fail(path, "no sentences in the file");

  std::set<std::string> seen;
  for (const auto& s : ds.sentences) seen.insert(s.ner_tags.begin(), s.ner_tags.end());
  const auto& standard = conll2003_ner_labels();
  if (std::all_of(seen.begin(), seen.end(), [&](const std::string& t) { return std::find(standard.begin(), standard.end(), t) != standard.end(); })) {
    ds.label_names = standard;
  } else {
    ds.label_names.push_back("O");
    for (const auto& t : seen)
      if (t != "O") ds.label_names.push_back(t);
  }
  return ds;
}

}  // namespace nlp::data
