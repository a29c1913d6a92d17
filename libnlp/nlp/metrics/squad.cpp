#include "nlp/metrics/squad.h"

#include <utf8proc.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <unordered_set>

#include "nlp/data/json_records.h"
#include "nlp/data/squad.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::metrics {

namespace {

using CodePoints = std::vector<utf8proc_int32_t>;

CodePoints decode(std::string_view s) {
  CodePoints out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) {  // invalid byte: U+FFFD, as Python's decode(errors="replace")
      c = 0xFFFD;
      n = 1;
    }
    out.push_back(c);
    p += n;
    left -= n;
  }
  return out;
}

std::string encode(const CodePoints& cps, size_t begin, size_t end) {
  std::string out;
  utf8proc_uint8_t buf[4];
  for (size_t i = begin; i < end; ++i) {
    utf8proc_ssize_t n = utf8proc_encode_char(cps[i], buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  }
  return out;
}

utf8proc_category_t category(utf8proc_int32_t c) { return static_cast<utf8proc_category_t>(utf8proc_category(c)); }

// Python str.isspace()
bool py_isspace(utf8proc_int32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Python re's Unicode \w: str.isalnum() or '_'.
bool py_word_char(utf8proc_int32_t c) {
  if (c == '_') return true;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

bool cased(utf8proc_int32_t c) {
  auto k = category(c);
  return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT || utf8proc_tolower(c) != c ||
         utf8proc_toupper(c) != c;
}

bool case_ignorable(utf8proc_int32_t c) {
  switch (category(c)) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
      return true;
    default:
      break;
  }
  switch (c) {  // Word_Break MidLetter / MidNumLet / Single_Quote
    case '\'': case '.': case ':': case 0xB7: case 0x387: case 0x5F4: case 0x2018: case 0x2019: case 0x2024: case 0x2027:
    case 0xFE13: case 0xFE52: case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
      return true;
    default:
      return false;
  }
}

// Python str.lower(): simple lowercase mapping plus its two special cases (U+0130 -> "i\u0307",
// and capital sigma -> final sigma at the end of a word).
CodePoints py_lower(const CodePoints& in) {
  CodePoints out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const utf8proc_int32_t c = in[i];
    if (c == 0x130) {
      out.push_back('i');
      out.push_back(0x307);
    } else if (c == 0x3A3) {
      size_t j = i;
      while (j > 0 && case_ignorable(in[j - 1])) --j;
      bool final_sigma = j > 0 && cased(in[j - 1]);
      if (final_sigma) {
        size_t k = i + 1;
        while (k < in.size() && case_ignorable(in[k])) ++k;
        final_sigma = k == in.size() || !cased(in[k]);
      }
      out.push_back(final_sigma ? 0x3C2 : 0x3C3);
    } else {
      out.push_back(utf8proc_tolower(c));
    }
  }
  return out;
}

bool ascii_punctuation(utf8proc_int32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

bool is_article(const CodePoints& s, size_t b, size_t e) {
  const size_t n = e - b;
  if (n == 1) return s[b] == 'a';
  if (n == 2) return s[b] == 'a' && s[b + 1] == 'n';
  if (n == 3) return s[b] == 't' && s[b + 1] == 'h' && s[b + 2] == 'e';
  return false;
}

// normalize_answer as code points, then split on whitespace.
std::vector<std::string> normalized_tokens(std::string_view text) {
  CodePoints lowered = py_lower(decode(text));
  CodePoints no_punc;
  no_punc.reserve(lowered.size());
  for (auto c : lowered)
    if (!ascii_punctuation(c)) no_punc.push_back(c);
  // \b(a|an|the)\b -> " ": a maximal run of word characters equal to an article.
  CodePoints no_articles;
  no_articles.reserve(no_punc.size());
  for (size_t i = 0; i < no_punc.size();) {
    if (py_word_char(no_punc[i])) {
      size_t j = i;
      while (j < no_punc.size() && py_word_char(no_punc[j])) ++j;
      if (is_article(no_punc, i, j)) no_articles.push_back(' ');
      else no_articles.insert(no_articles.end(), no_punc.begin() + static_cast<std::ptrdiff_t>(i), no_punc.begin() + static_cast<std::ptrdiff_t>(j));
      i = j;
    } else {
      no_articles.push_back(no_punc[i++]);
    }
  }
  std::vector<std::string> tokens;
  for (size_t i = 0; i < no_articles.size();) {
    while (i < no_articles.size() && py_isspace(no_articles[i])) ++i;
    size_t j = i;
    while (j < no_articles.size() && !py_isspace(no_articles[j])) ++j;
    if (j > i) tokens.push_back(encode(no_articles, i, j));
    i = j;
  }
  return tokens;
}

// sum((Counter(a) & Counter(b)).values())
size_t overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::map<std::string, long> count;
  for (const auto& t : a) ++count[t];
  size_t same = 0;
  for (const auto& t : b) {
    auto it = count.find(t);
    if (it != count.end() && it->second > 0) {
      --it->second;
      ++same;
    }
  }
  return same;
}

double f1_from_tokens(const std::vector<std::string>& pred, const std::vector<std::string>& gold) {
  const size_t same = overlap(pred, gold);
  if (same == 0) return 0.0;
  const double precision = 1.0 * static_cast<double>(same) / static_cast<double>(pred.size());
  const double recall = 1.0 * static_cast<double>(same) / static_cast<double>(gold.size());
  return (2 * precision * recall) / (precision + recall);
}

}  // namespace

std::vector<std::string> squad_answer_tokens(std::string_view text) { return normalized_tokens(text); }

std::string squad_normalize_answer(std::string_view text) {
  auto tokens = normalized_tokens(text);
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
  return out;
}

double squad_exact_match(std::string_view prediction, std::string_view ground_truth) {
  return squad_normalize_answer(prediction) == squad_normalize_answer(ground_truth) ? 1.0 : 0.0;
}

double squad_f1_v1(std::string_view prediction, std::string_view ground_truth) {
  return f1_from_tokens(normalized_tokens(prediction), normalized_tokens(ground_truth));
}

double squad_f1_v2(std::string_view prediction, std::string_view ground_truth) {
  // get_tokens: [] for an empty string, else normalize_answer(s).split()
  auto pred = normalized_tokens(prediction);
  auto gold = normalized_tokens(ground_truth);
  if (pred.empty() || gold.empty()) return pred == gold ? 1.0 : 0.0;
  return f1_from_tokens(pred, gold);
}

std::vector<SquadReference> squad_references(const data::QaDataset& dataset) {
  std::vector<SquadReference> refs;
  refs.reserve(dataset.examples.size());
  for (const auto& ex : dataset.examples) {
    SquadReference r{ex.id, {}};
    for (const auto& a : ex.answers) r.answers.push_back(a.text);
    refs.push_back(std::move(r));
  }
  return refs;
}

SquadV1Result evaluate_squad_v1(const std::vector<SquadReference>& references, const SquadPredictions& predictions) {
  SquadV1Result r;
  double exact = 0, f1 = 0;
  for (const auto& ref : references) {
    ++r.total;
    auto it = predictions.find(ref.id);
    if (it == predictions.end()) {
      r.missing_ids.push_back(ref.id);
      continue;
    }
    if (ref.answers.empty()) fail("evaluate_squad_v1", "question '" + ref.id + "' has no gold answers (a v2.0 file? use the v2.0 evaluation)");
    double best_em = 0, best_f1 = 0;
    for (size_t k = 0; k < ref.answers.size(); ++k) {
      const double em = squad_exact_match(it->second, ref.answers[k]);
      const double f = squad_f1_v1(it->second, ref.answers[k]);
      best_em = k == 0 ? em : std::max(best_em, em);
      best_f1 = k == 0 ? f : std::max(best_f1, f);
    }
    exact += best_em;
    f1 += best_f1;
  }
  if (r.total == 0) fail("evaluate_squad_v1", "no questions");
  r.exact_match = 100.0 * exact / static_cast<double>(r.total);
  r.f1 = 100.0 * f1 / static_cast<double>(r.total);
  return r;
}

std::string to_official_json(const SquadV1Result& r) {
  return python_json_dumps({{"exact_match", PyNumber::real(r.exact_match)}, {"f1", PyNumber::real(r.f1)}});
}

SquadV2Result evaluate_squad_v2(const std::vector<SquadReference>& references, const SquadPredictions& predictions,
                                const std::vector<NaProb>* na_probs, double na_prob_thresh) {
  if (references.empty()) fail("evaluate_squad_v2", "no questions");
  std::unordered_map<std::string, double> na;
  if (na_probs)
    for (const auto& p : *na_probs) na[p.id] = p.value;
  // get_raw_scores + apply_no_ans_threshold, in data order.
  struct Scored {
    const SquadReference* ref;
    bool has_ans;
    double exact_raw, f1_raw, exact, f1;
    bool pred_nonempty;
  };
  std::vector<Scored> scored;
  std::unordered_map<std::string, size_t> index;
  size_t missing = 0;
  std::string first_missing;
  for (const auto& ref : references) {
    auto it = predictions.find(ref.id);
    if (it == predictions.end()) {
      if (missing++ == 0) first_missing = ref.id;
      continue;
    }
    std::vector<std::string> gold;
    for (const auto& a : ref.answers)
      if (!squad_normalize_answer(a).empty()) gold.push_back(a);
    if (gold.empty()) gold.push_back("");
    Scored s{&ref, !ref.answers.empty(), 0, 0, 0, 0, !it->second.empty()};
    for (size_t k = 0; k < gold.size(); ++k) {
      const double em = squad_exact_match(it->second, gold[k]);
      const double f = squad_f1_v2(it->second, gold[k]);
      s.exact_raw = k == 0 ? em : std::max(s.exact_raw, em);
      s.f1_raw = k == 0 ? f : std::max(s.f1_raw, f);
    }
    double p = 0.0;
    if (na_probs) {
      auto n = na.find(ref.id);
      if (n == na.end()) fail("na_probs", "no entry for question '" + ref.id + "'");
      p = n->second;
    }
    const bool pred_na = p > na_prob_thresh;
    s.exact = pred_na ? (s.has_ans ? 0.0 : 1.0) : s.exact_raw;
    s.f1 = pred_na ? (s.has_ans ? 0.0 : 1.0) : s.f1_raw;
    index[ref.id] = scored.size();
    scored.push_back(s);
  }
  if (missing > 0)
    fail("predictions", std::to_string(missing) + " of " + std::to_string(references.size()) +
                            " questions have no prediction (first: '" + first_missing +
                            "'); the official v2.0 script cannot score a partial prediction file");

  SquadV2Result r;
  auto eval = [&](bool (*select)(const Scored&), double& exact, double& f1, size_t& total) {
    double se = 0, sf = 0;
    size_t n = 0;
    for (const auto& s : scored)
      if (select(s)) {
        se += s.exact;
        sf += s.f1;
        ++n;
      }
    total = n;
    exact = n ? 100.0 * se / static_cast<double>(n) : 0.0;
    f1 = n ? 100.0 * sf / static_cast<double>(n) : 0.0;
  };
  eval([](const Scored&) { return true; }, r.exact, r.f1, r.total);
  eval([](const Scored& s) { return s.has_ans; }, r.has_ans_exact, r.has_ans_f1, r.has_ans_total);
  eval([](const Scored& s) { return !s.has_ans; }, r.no_ans_exact, r.no_ans_f1, r.no_ans_total);
  r.has_ans_present = r.has_ans_total > 0;
  r.no_ans_present = r.no_ans_total > 0;

  if (na_probs) {
    // find_best_thresh: walk na_probs in ascending order (stable: file order for ties).
    std::vector<size_t> order(na_probs->size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return (*na_probs)[a].value < (*na_probs)[b].value; });
    auto best = [&](bool use_f1, double& best_out, PyNumber& thresh_out) {
      const double num_no_ans = static_cast<double>(r.no_ans_total);
      double cur = num_no_ans, best_score = cur;
      PyNumber thresh = PyNumber::real(0.0);
      for (size_t o : order) {
        const NaProb& p = (*na_probs)[o];
        auto it = index.find(p.id);
        if (it == index.end()) continue;
        const Scored& s = scored[it->second];
        double diff;
        if (s.has_ans) diff = use_f1 ? s.f1_raw : s.exact_raw;
        else diff = s.pred_nonempty ? -1.0 : 0.0;
        cur += diff;
        if (cur > best_score) {
          best_score = cur;
          thresh = p.is_integer ? PyNumber{p.value, true} : PyNumber::real(p.value);
        }
      }
      best_out = 100.0 * best_score / static_cast<double>(scored.size());
      thresh_out = thresh;
    };
    best(false, r.best_exact, r.best_exact_thresh);
    best(true, r.best_f1, r.best_f1_thresh);
    r.best_present = true;
  }
  return r;
}

std::string to_official_json(const SquadV2Result& r) {
  std::vector<std::pair<std::string, PyNumber>> items = {
      {"exact", PyNumber::real(r.exact)}, {"f1", PyNumber::real(r.f1)}, {"total", PyNumber::integer(static_cast<int64_t>(r.total))}};
  if (r.has_ans_present) {
    items.push_back({"HasAns_exact", PyNumber::real(r.has_ans_exact)});
    items.push_back({"HasAns_f1", PyNumber::real(r.has_ans_f1)});
    items.push_back({"HasAns_total", PyNumber::integer(static_cast<int64_t>(r.has_ans_total))});
  }
  if (r.no_ans_present) {
    items.push_back({"NoAns_exact", PyNumber::real(r.no_ans_exact)});
    items.push_back({"NoAns_f1", PyNumber::real(r.no_ans_f1)});
    items.push_back({"NoAns_total", PyNumber::integer(static_cast<int64_t>(r.no_ans_total))});
  }
  if (r.best_present) {
    items.push_back({"best_exact", PyNumber::real(r.best_exact)});
    items.push_back({"best_exact_thresh", r.best_exact_thresh});
    items.push_back({"best_f1", PyNumber::real(r.best_f1)});
    items.push_back({"best_f1_thresh", r.best_f1_thresh});
  }
  return python_json_dumps(items, 2);
}

std::vector<std::pair<std::string, double>> squad_metric_list(const SquadV1Result& r) {
  return {{"exact_match", r.exact_match}, {"f1", r.f1}};
}

std::vector<std::pair<std::string, double>> squad_metric_list(const SquadV2Result& r) {
  std::vector<std::pair<std::string, double>> out = {{"exact", r.exact}, {"f1", r.f1}, {"total", static_cast<double>(r.total)}};
  if (r.has_ans_present) {
    out.insert(out.end(), {{"HasAns_exact", r.has_ans_exact}, {"HasAns_f1", r.has_ans_f1}, {"HasAns_total", static_cast<double>(r.has_ans_total)}});
  }
  if (r.no_ans_present) {
    out.insert(out.end(), {{"NoAns_exact", r.no_ans_exact}, {"NoAns_f1", r.no_ans_f1}, {"NoAns_total", static_cast<double>(r.no_ans_total)}});
  }
  if (r.best_present) {
    out.insert(out.end(), {{"best_exact", r.best_exact}, {"best_exact_thresh", r.best_exact_thresh.value},
                           {"best_f1", r.best_f1}, {"best_f1_thresh", r.best_f1_thresh.value}});
  }
  return out;
}

std::vector<NaProb> read_na_probs(const std::string& path) {
  auto doc = data::parse_ordered_json_document(read_file(path), path);
  if (!doc.is_object()) fail(path, "expected a JSON object {\"<question id>\": <probability>, ...}");
  std::vector<NaProb> out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!it.value().is_number())
      fail(path, "field '" + it.key() + "': expected a number but got " + it.value().dump());
    out.push_back({it.key(), it.value().get<double>(), it.value().is_number_integer()});
  }
  return out;
}

SquadPredictions read_squad_predictions(const std::string& path) {
  auto doc = data::parse_json_document(read_file(path), path);
  if (!doc.is_object()) fail(path, "expected a JSON object {\"<question id>\": \"<answer text>\", ...}");
  SquadPredictions out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!it.value().is_string()) fail(path, "field '" + it.key() + "': expected a string (the answer text) but got " + it.value().dump());
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace nlp::metrics
