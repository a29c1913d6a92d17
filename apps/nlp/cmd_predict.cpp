// nlp predict --model DIR [--text T [--text-pair P]] [--question Q --context C]
//             [--context C --ending E1 --ending E2 ...]
// One prediction from a fine-tuned folder, chosen by its architecture (config.json):
//   *ForSequenceClassification  text (pair) -> label and probability (regression: the value)
//   *ForQuestionAnswering       question + context -> answer span, character offsets, score
//   *ForMultipleChoice          context + endings -> choice and probabilities
//   *ForTokenClassification     text -> one label per whitespace-separated word
// Encoding settings (max_seq_length, doc_stride, ...) come from DIR/finetune_recipe.json when
// present, else the recipe defaults. Prints one JSON object.
#include <iostream>

#include "command.h"
#include "nlp/tasks/finetune.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"

namespace {

struct A {
  std::string model, text, text_pair, question, context;
  std::vector<std::string> endings;
};

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

int run(const A& a) {
  using nlp::json;
  nlp::tasks::ResolvedModel m = nlp::tasks::load_finetuned(a.model);
  json rc = nlp::train::recipe_defaults();
  std::string rp = nlp::path_join(a.model, "finetune_recipe.json");
  if (nlp::path_exists(rp)) {
    json saved = nlp::read_json_file(rp);
    for (auto it = saved.begin(); it != saved.end(); ++it) rc[it.key()] = it.value();
  }
  const std::string arch = m.model->architecture();
  const int64_t msl = rc.value("max_seq_length", 128);
  json out;
  if (ends_with(arch, "ForSequenceClassification")) {
    if (a.text.empty()) nlp::fail("predict", arch + " needs --text (and optionally --text-pair)");
    auto p = nlp::tasks::predict_sequence(*m.model, *m.tokenizer, m.config, a.text, a.text_pair, msl);
    if (p.label < 0) out = {{"prediction", p.score}};
    else out = {{"label", p.label_name}, {"label_id", p.label}, {"score", p.score}, {"probabilities", p.probabilities}};
  } else if (ends_with(arch, "ForQuestionAnswering")) {
    if (a.question.empty() || a.context.empty()) nlp::fail("predict", arch + " needs --question and --context");
    nlp::tasks::QaOptions o;
    o.max_seq_length = rc.value("max_seq_length", 384);
    o.doc_stride = rc.value("doc_stride", 128);
    o.max_query_length = rc.value("max_query_length", 64);
    o.n_best_size = rc.value("n_best_size", 20);
    o.max_answer_length = rc.value("max_answer_length", 30);
    o.version_2_with_negative = rc.value("version_2_with_negative", false);
    o.null_score_diff_threshold = rc.value("null_score_diff_threshold", 0.0);
    auto p = nlp::tasks::predict_answer(*m.model, *m.tokenizer, a.question, a.context, o);
    out = {{"answer", p.text}, {"start", p.start_char}, {"end", p.end_char}, {"score", p.score}, {"probability", p.probability}};
  } else if (ends_with(arch, "ForMultipleChoice")) {
    if (a.context.empty() || a.endings.size() < 2) nlp::fail("predict", arch + " needs --context and at least two --ending");
    auto p = nlp::tasks::predict_choice(*m.model, *m.tokenizer, a.context, a.endings, msl);
    out = {{"choice", p.choice}, {"ending", a.endings[static_cast<size_t>(p.choice)]}, {"probabilities", p.probabilities}};
  } else if (ends_with(arch, "ForTokenClassification")) {
    if (a.text.empty()) nlp::fail("predict", arch + " needs --text");
    auto ps = nlp::tasks::predict_tokens(*m.model, *m.tokenizer, m.config, a.text, msl);
    out = json::array();
    for (auto& p : ps) out.push_back({{"word", p.word}, {"label", p.label}, {"score", p.score}});
  } else {
    nlp::fail(a.model, "architecture " + arch + " is not a fine-tuned task model (sequence classification, question "
                           "answering, multiple choice or token classification)");
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

static nlp::cli::Register reg("predict", "predict with a fine-tuned model folder (label, answer span, choice or tags)",
                              [](CLI::App& sub) -> nlp::cli::Runner {
                                auto a = std::make_shared<A>();
                                sub.add_option("--model", a->model, "fine-tuned model folder")->required();
                                sub.add_option("--text", a->text, "input text (classification, token classification)");
                                sub.add_option("--text-pair", a->text_pair, "second text of a pair");
                                sub.add_option("--question", a->question, "question (question answering)");
                                sub.add_option("--context", a->context, "context (question answering, multiple choice)");
                                sub.add_option("--ending", a->endings, "a candidate ending (multiple choice; repeatable)");
                                return [a] { return run(*a); };
                              });
