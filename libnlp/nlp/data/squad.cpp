#include "nlp/data/squad.h"

#include <unordered_set>

#include "nlp/data/json_records.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"

namespace nlp::data {

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// byte offset of every code point of `s`, plus s.size() at the end.
std::vector<int64_t> char_to_byte(const std::string& s) {
  std::vector<int64_t> out;
  out.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); ++i)
    if (!is_continuation(static_cast<unsigned char>(s[i]))) out.push_back(static_cast<int64_t>(i));
  out.push_back(static_cast<int64_t>(s.size()));
  return out;
}

std::string quote(const std::string& s) {
  std::string q = s.size() > 60 ? s.substr(0, 57) + "..." : s;
  return "'" + q + "'";
}

struct Reader {
  std::string path;
  QaReadOptions options;
  QaDataset ds;
  std::unordered_set<std::string> ids;

  QaAnswer make_answer(const std::string& where, const std::string& text, int64_t start, const std::vector<int64_t>& offsets,
                       const std::string& context) {
    const int64_t n_chars = static_cast<int64_t>(offsets.size()) - 1;
    if (start < 0 || start > n_chars)
      fail(where, "answer_start " + std::to_string(start) + " is outside the context (" + std::to_string(n_chars) + " characters)");
    QaAnswer a;
    a.text = text;
    a.answer_start = start;
    a.answer_start_byte = offsets[static_cast<size_t>(start)];
    a.answer_end_byte = a.answer_start_byte + static_cast<int64_t>(text.size());
    if (options.check_answer_text) {
      if (a.answer_end_byte > static_cast<int64_t>(context.size()) ||
          context.compare(static_cast<size_t>(a.answer_start_byte), text.size(), text) != 0) {
        std::string there = context.substr(static_cast<size_t>(a.answer_start_byte), text.size());
        fail(where, "answer text " + quote(text) + " does not match the context at answer_start " + std::to_string(start) +
                        " (the context there reads " + quote(there) + ")");
      }
    }
    return a;
  }

  void add(QaExample ex, const std::string& where) {
    if (ex.id.empty()) fail(where, "empty question id");
    if (!ids.insert(ex.id).second) fail(where, "duplicate question id '" + ex.id + "'");
    ds.examples.push_back(std::move(ex));
  }

  std::vector<QaAnswer> nested_answers(const json& qa, const std::string& key, const std::string& where,
                                       const std::vector<int64_t>& offsets, const std::string& context) {
    std::vector<QaAnswer> out;
    if (!qa.contains(key) || qa.at(key).is_null()) return out;
    const json& list = qa.at(key);
    if (!list.is_array()) json_field_error(where, key, "a list of answers", list);
    for (size_t k = 0; k < list.size(); ++k) {
      std::string w = where + "." + key + "[" + std::to_string(k) + "]";
      JsonView a{list[k], w};
      if (!list[k].is_object()) fail(w, "expected an answer object {\"text\", \"answer_start\"}");
      out.push_back(make_answer(w, a.require<std::string>("text"), a.require<int64_t>("answer_start"), offsets, context));
    }
    return out;
  }

  void read_nested(const json& data) {
    for (size_t i = 0; i < data.size(); ++i) {
      std::string wa = path + ": data[" + std::to_string(i) + "]";
      if (!data[i].is_object()) fail(wa, "expected an article object");
      JsonView article{data[i], wa};
      std::string title = article.get<std::string>("title", "");
      if (!article.has("paragraphs") || !data[i].at("paragraphs").is_array())
        json_field_error(wa, "paragraphs", "a list of paragraphs", article.has("paragraphs") ? data[i].at("paragraphs") : json());
      const json& paragraphs = data[i].at("paragraphs");
      ++ds.num_articles;
      for (size_t j = 0; j < paragraphs.size(); ++j) {
        std::string wp = wa + ".paragraphs[" + std::to_string(j) + "]";
        JsonView par{paragraphs[j], wp};
        std::string context = par.require<std::string>("context");
        if (!par.has("qas") || !paragraphs[j].at("qas").is_array())
          json_field_error(wp, "qas", "a list of questions", par.has("qas") ? paragraphs[j].at("qas") : json());
        const json& qas = paragraphs[j].at("qas");
        std::vector<int64_t> offsets = char_to_byte(context);
        const size_t paragraph_index = ds.num_paragraphs++;
        for (size_t k = 0; k < qas.size(); ++k) {
          std::string wq = wp + ".qas[" + std::to_string(k) + "]";
          JsonView qa{qas[k], wq};
          QaExample ex;
          ex.id = qa.require<std::string>("id");
          wq += " (id '" + ex.id + "')";
          qa.source = wq;
          ex.title = title;
          ex.question = qa.require<std::string>("question");
          ex.context = context;
          ex.paragraph_index = paragraph_index;
          ex.answers = nested_answers(qas[k], "answers", wq, offsets, context);
          if (qa.has("is_impossible")) {
            ds.is_v2 = true;
            ex.is_impossible = qa.require<bool>("is_impossible");
            if (ex.is_impossible && !ex.answers.empty())
              fail(wq, "is_impossible is true but the question has " + std::to_string(ex.answers.size()) + " answers");
          }
          ex.plausible_answers = nested_answers(qas[k], "plausible_answers", wq, offsets, context);
          add(std::move(ex), wq);
        }
      }
    }
  }

  void read_flat_record(const json& r, const std::string& where, const std::string& prev_context) {
    if (!r.is_object()) fail(where, "expected a question object");
    JsonView v{r, where};
    QaExample ex;
    ex.id = v.require<std::string>("id");
    std::string w = where + " (id '" + ex.id + "')";
    v.source = w;
    ex.title = v.get<std::string>("title", "");
    ex.question = v.require<std::string>("question");
    ex.context = v.require<std::string>("context");
    if (ex.context != prev_context) ++ds.num_paragraphs;
    ex.paragraph_index = ds.num_paragraphs - 1;
    if (!v.has("answers") || !r.at("answers").is_object())
      json_field_error(w, "answers", "an object {\"text\": [...], \"answer_start\": [...]}", v.has("answers") ? r.at("answers") : json());
    JsonView answers{r.at("answers"), w + ".answers"};
    auto texts = answers.require<std::vector<std::string>>("text");
    auto starts = answers.require<std::vector<long>>("answer_start");
    if (texts.size() != starts.size())
      fail(w + ".answers", "'text' has " + std::to_string(texts.size()) + " entries but 'answer_start' has " + std::to_string(starts.size()));
    std::vector<int64_t> offsets = char_to_byte(ex.context);
    for (size_t k = 0; k < texts.size(); ++k)
      ex.answers.push_back(make_answer(w + ".answers[" + std::to_string(k) + "]", texts[k], starts[k], offsets, ex.context));
    ex.is_impossible = ex.answers.empty();
    if (ex.is_impossible) ds.is_v2 = true;
    add(std::move(ex), w);
  }
};

std::string version_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

}  // namespace

int64_t utf8_length(const std::string& text) {
  int64_t n = 0;
  for (unsigned char c : text) n += !is_continuation(c);
  return n;
}

QaDataset read_squad_json(const std::string& path, const QaReadOptions& options) {
  Reader rd{path, options, {}, {}};
  rd.ds.path = path;
  std::vector<JsonRecord> records = parse_json_records(read_file(path), path);
  if (records.size() == 1 && records[0].value.is_object() && records[0].value.contains("data")) {
    const json& doc = records[0].value;
    rd.ds.version = doc.contains("version") ? version_text(doc.at("version")) : "";
    const std::string& v = rd.ds.version;
    if (v.rfind("2", 0) == 0 || v.rfind("v2", 0) == 0) rd.ds.is_v2 = true;
    const json& data = doc.at("data");
    if (!data.is_array()) json_field_error(path, "data", "a list", data);
    if (!data.empty() && data[0].is_object() && data[0].contains("paragraphs")) {
      rd.read_nested(data);
    } else {
      std::string prev;
      for (size_t i = 0; i < data.size(); ++i) {
        rd.read_flat_record(data[i], path + ": data[" + std::to_string(i) + "]", prev);
        prev = rd.ds.examples.back().context;
      }
    }
  } else {
    std::string prev;
    for (const auto& r : records) {
      rd.read_flat_record(r.value, path + ":" + std::to_string(r.line), prev);
      prev = rd.ds.examples.back().context;
    }
  }
  if (rd.ds.examples.empty()) fail(path, "no questions in the file");
  return rd.ds;
}

}  // namespace nlp::data
