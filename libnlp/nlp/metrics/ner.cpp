#include "nlp/metrics/ner.h"

#include <map>
#include <set>
#include <tuple>

#include "nlp/util/error.h"

namespace nlp::metrics {

namespace {

// conlleval endOfChunk: did a chunk end between the previous and the current token?
bool end_of_chunk(char prev_tag, char tag, const std::string& prev_type, const std::string& type) {
  if (prev_tag == 'E' || prev_tag == 'S') return true;
  if (prev_tag == 'B' && (tag == 'B' || tag == 'S' || tag == 'O')) return true;
  if (prev_tag == 'I' && (tag == 'B' || tag == 'S' || tag == 'O')) return true;
  if (prev_tag != 'O' && prev_tag != '.' && prev_type != type) return true;
  return false;
}

// conlleval startOfChunk: does a chunk start at the current token?
bool start_of_chunk(char prev_tag, char tag, const std::string& prev_type, const std::string& type) {
  if (tag == 'B' || tag == 'S') return true;
  if ((prev_tag == 'E' || prev_tag == 'S' || prev_tag == 'O') && (tag == 'E' || tag == 'I')) return true;
  if (tag != 'O' && tag != '.' && prev_type != type) return true;
  return false;
}

double safe_div(double a, double b) { return b == 0 ? 0.0 : a / b; }

}  // namespace

std::vector<Entity> extract_entities(const std::vector<std::string>& tags) {
  std::vector<Entity> chunks;
  char prev_tag = 'O';
  std::string prev_type;
  size_t begin = 0;
  for (size_t i = 0; i <= tags.size(); ++i) {
    const std::string chunk = i < tags.size() ? tags[i] : std::string("O");
    if (chunk.empty()) fail("extract_entities", "empty tag at position " + std::to_string(i));
    const char tag = chunk[0];
    // seqeval: type = chunk[1:].split('-', maxsplit=1)[-1] or '_'
    std::string rest = chunk.substr(1);
    const size_t dash = rest.find('-');
    std::string type = dash == std::string::npos ? rest : rest.substr(dash + 1);
    if (type.empty()) type = "_";
    if (end_of_chunk(prev_tag, tag, prev_type, type)) chunks.push_back({prev_type, begin, i - 1});
    if (start_of_chunk(prev_tag, tag, prev_type, type)) begin = i;
    prev_tag = tag;
    prev_type = type;
  }
  return chunks;
}

NerScores evaluate_ner(const std::vector<std::vector<std::string>>& gold, const std::vector<std::vector<std::string>>& predicted) {
  if (gold.size() != predicted.size())
    fail("evaluate_ner", std::to_string(predicted.size()) + " predicted sentences but " + std::to_string(gold.size()) + " gold sentences");
  using Key = std::tuple<size_t, size_t, size_t>;  // sentence, start, end
  std::map<std::string, std::set<Key>> gold_by_type, pred_by_type;
  size_t tokens = 0, tokens_correct = 0;
  for (size_t s = 0; s < gold.size(); ++s) {
    if (gold[s].size() != predicted[s].size())
      fail("evaluate_ner", "sentence " + std::to_string(s) + ": " + std::to_string(predicted[s].size()) + " predicted tags but " +
                               std::to_string(gold[s].size()) + " gold tags");
    for (size_t t = 0; t < gold[s].size(); ++t) tokens_correct += gold[s][t] == predicted[s][t];
    tokens += gold[s].size();
    for (const auto& e : extract_entities(gold[s])) gold_by_type[e.type].insert({s, e.start, e.end});
    for (const auto& e : extract_entities(predicted[s])) pred_by_type[e.type].insert({s, e.start, e.end});
  }
  if (tokens == 0) fail("evaluate_ner", "no tokens (empty input)");
  NerScores r;
  r.accuracy = static_cast<double>(tokens_correct) / static_cast<double>(tokens);
  std::set<std::string> types;
  for (const auto& kv : gold_by_type) types.insert(kv.first);
  for (const auto& kv : pred_by_type) types.insert(kv.first);
  for (const auto& type : types) {
    const auto& g = gold_by_type[type];
    const auto& p = pred_by_type[type];
    size_t correct = 0;
    for (const auto& k : p) correct += g.count(k);
    NerTypeScores ts;
    ts.type = type;
    ts.number = g.size();
    ts.precision = safe_div(static_cast<double>(correct), static_cast<double>(p.size()));
    ts.recall = safe_div(static_cast<double>(correct), static_cast<double>(g.size()));
    ts.f1 = safe_div(2 * ts.precision * ts.recall, ts.precision + ts.recall);
    r.per_type.push_back(ts);
    r.num_gold += g.size();
    r.num_predicted += p.size();
    r.num_correct += correct;
  }
  r.precision = safe_div(static_cast<double>(r.num_correct), static_cast<double>(r.num_predicted));
  r.recall = safe_div(static_cast<double>(r.num_correct), static_cast<double>(r.num_gold));
  r.f1 = safe_div(2 * r.precision * r.recall, r.precision + r.recall);
  return r;
}

std::vector<std::pair<std::string, double>> ner_metric_list(const NerScores& r, bool entity_level) {
  std::vector<std::pair<std::string, double>> out = {
      {"precision", r.precision}, {"recall", r.recall}, {"f1", r.f1}, {"accuracy", r.accuracy}};
  if (entity_level)
    for (const auto& t : r.per_type) {
      out.emplace_back(t.type + "_precision", t.precision);
      out.emplace_back(t.type + "_recall", t.recall);
      out.emplace_back(t.type + "_f1", t.f1);
      out.emplace_back(t.type + "_number", static_cast<double>(t.number));
    }
  return out;
}

}  // namespace nlp::metrics
