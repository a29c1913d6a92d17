// SQuAD evaluation exactly as the official scripts compute it (evaluate-v1.1.py and
// evaluate-v2.0.py from rajpurkar.github.io/SQuAD-explorer).
//
// Answer normalisation (both versions): Python str.lower(); delete every character of Python's
// string.punctuation (ASCII !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~); replace the whole words a, an, the
// (regex \b(a|an|the)\b with Unicode word characters) by a space; split on Unicode whitespace and
// rejoin with single spaces. Exact match compares normalised strings; F1 is the bag-of-tokens
// overlap; a question scores the maximum over its gold answers.
//
// Versions differ on empty answers: v1.1 F1 is 0 whenever no token overlaps (even if both are
// empty); v2.0 F1 is 1 when both are empty and 0 when only one is, and v2.0 replaces a gold list
// whose answers all normalise to "" by [""] (an unanswerable question is answered by "").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nlp/metrics/pyformat.h"

namespace nlp::data {
struct QaDataset;
}

namespace nlp::metrics {

std::string squad_normalize_answer(std::string_view text);
// normalize_answer(text).split()
std::vector<std::string> squad_answer_tokens(std::string_view text);

// 1.0 when the normalised strings are equal, else 0.0 (both versions).
double squad_exact_match(std::string_view prediction, std::string_view ground_truth);
double squad_f1_v1(std::string_view prediction, std::string_view ground_truth);  // evaluate-v1.1 f1_score
double squad_f1_v2(std::string_view prediction, std::string_view ground_truth);  // evaluate-v2.0 compute_f1

// One question's gold answers as the data file lists them (duplicates kept; empty = unanswerable).
struct SquadReference {
  std::string id;
  std::vector<std::string> answers;
};
std::vector<SquadReference> squad_references(const data::QaDataset& dataset);

using SquadPredictions = std::unordered_map<std::string, std::string>;  // question id -> answer text

struct SquadV1Result {
  double exact_match = 0.0;  // percent
  double f1 = 0.0;           // percent
  size_t total = 0;          // questions in the data (missing predictions score 0, as the script does)
  std::vector<std::string> missing_ids;  // questions without a prediction ("Unanswered question ...")
};
SquadV1Result evaluate_squad_v1(const std::vector<SquadReference>& references, const SquadPredictions& predictions);
// print(json.dumps(result)): {"exact_match": 81.2, "f1": 88.5}
std::string to_official_json(const SquadV1Result& result);

// na_probs as the file lists them: (id, probability that the question is unanswerable), in file
// order (the official threshold search sorts stably, so ties keep this order), and whether the
// JSON number was an integer (Python then prints the threshold as an int).
struct NaProb {
  std::string id;
  double value = 0.0;
  bool is_integer = false;
};
std::vector<NaProb> read_na_probs(const std::string& path);

struct SquadV2Result {
  double exact = 0.0, f1 = 0.0;  // percent, after the na_prob threshold
  size_t total = 0;
  bool has_ans_present = false;  // HasAns_* keys are printed only when some question has answers
  double has_ans_exact = 0.0, has_ans_f1 = 0.0;
  size_t has_ans_total = 0;
  bool no_ans_present = false;   // NoAns_* keys only when some question has none
  double no_ans_exact = 0.0, no_ans_f1 = 0.0;
  size_t no_ans_total = 0;
  bool best_present = false;     // best_* keys only when na_probs were given
  double best_exact = 0.0, best_f1 = 0.0;
  PyNumber best_exact_thresh, best_f1_thresh;
};

// evaluate-v2.0.py main(): raw scores, no-answer threshold (a question is predicted unanswerable
// when na_prob > na_prob_thresh; without na_probs every na_prob is 0), totals, HasAns/NoAns
// breakdown, and with na_probs the best-threshold search. Throws nlp::Error when a question has
// no prediction or no na_prob (the official script stops with a KeyError there).
SquadV2Result evaluate_squad_v2(const std::vector<SquadReference>& references, const SquadPredictions& predictions,
                                const std::vector<NaProb>* na_probs = nullptr, double na_prob_thresh = 1.0);
// print(json.dumps(out_eval, indent=2)), keys in the script's order.
std::string to_official_json(const SquadV2Result& result);

// The same results as named metrics for a training report (run_qa's keys; the Trainer prefixes
// "eval_"): v1.1 exact_match, f1; v2.0 the keys of to_official_json with totals as numbers.
std::vector<std::pair<std::string, double>> squad_metric_list(const SquadV1Result& result);
std::vector<std::pair<std::string, double>> squad_metric_list(const SquadV2Result& result);

// Reads a predictions file {"<id>": "<answer text>", ...}; throws nlp::Error for a non-string value.
SquadPredictions read_squad_predictions(const std::string& path);

}  // namespace nlp::metrics
