// nlp evaluate-squad: the official SQuAD evaluation (evaluate-v1.1.py / evaluate-v2.0.py) of a
// predictions file {"<question id>": "<answer text>"} against a SQuAD-format data file, printing
// the JSON the official script prints. v2.0 is chosen when the data's "version" starts with 2/v2
// or any question has "is_impossible" (or, in the flat datasets layout, an empty answer list).
#include <iostream>

#include "command.h"
#include "nlp/data/squad.h"
#include "nlp/metrics/squad.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace {

struct Options {
  std::string data, predictions, na_probs, out;
  double na_prob_thresh = 1.0;
};

int run(const Options& o) {
  nlp::data::QaReadOptions read;
  read.check_answer_text = false;  // the official scripts only read the answer texts
  const auto dataset = nlp::data::read_squad_json(o.data, read);
  const auto references = nlp::metrics::squad_references(dataset);
  const auto predictions = nlp::metrics::read_squad_predictions(o.predictions);
  std::string json;
  if (dataset.is_v2) {
    std::vector<nlp::metrics::NaProb> na;
    if (!o.na_probs.empty()) na = nlp::metrics::read_na_probs(o.na_probs);
    auto result = nlp::metrics::evaluate_squad_v2(references, predictions, o.na_probs.empty() ? nullptr : &na, o.na_prob_thresh);
    json = nlp::metrics::to_official_json(result);
  } else {
    if (!o.na_probs.empty()) nlp::fail("--na-probs", "no-answer probabilities apply to SQuAD v2.0 data, but " + o.data + " is v1.1");
    if (dataset.version != "1.1")
      std::cerr << "Evaluation expects v-1.1, but got dataset with v-" << dataset.version << "\n";
    auto result = nlp::metrics::evaluate_squad_v1(references, predictions);
    for (const auto& id : result.missing_ids) std::cerr << "Unanswered question " << id << " will receive score 0.\n";
    json = nlp::metrics::to_official_json(result);
  }
  if (!o.out.empty()) nlp::write_file_atomic(o.out, json);
  std::cout << json << "\n";
  return 0;
}

}  // namespace

static nlp::cli::Register reg(
    "evaluate-squad", "official SQuAD v1.1 / v2.0 evaluation of a predictions JSON file",
    [](CLI::App& sub) -> nlp::cli::Runner {
      auto o = std::make_shared<Options>();
      sub.add_option("--data", o->data, "SQuAD-format data file (v1.1 or v2.0; XQuAD, KorQuAD, datasets layout)")->required();
      sub.add_option("--predictions", o->predictions, "predictions JSON {\"<id>\": \"<answer>\"}")->required();
      sub.add_option("--na-probs", o->na_probs, "v2.0: JSON {\"<id>\": <probability of no answer>} for the best-threshold search");
      sub.add_option("--na-prob-thresh", o->na_prob_thresh, "v2.0: predict no answer when na_prob > this (default 1.0)");
      sub.add_option("--out", o->out, "also write the JSON to this file (atomically)");
      return [o] { return run(*o); };
    });
