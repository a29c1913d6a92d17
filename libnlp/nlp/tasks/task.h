// Fine-tuning task pipelines: turn a dataset into model inputs, evaluate with the field's
// metric, and write predictions. One implementation per task family:
//
//   glue             sequence classification / regression over single sentences or pairs
//                    (BERT §4.1): [CLS] A [SEP] (B [SEP]), longest_first truncation to
//                    max_seq_length; logits [batch, num_labels] (STS-B: 1, MSE loss).
//   squad            extractive QA (BERT §4.2, transformers run_qa.py): sliding windows over the
//                    context, question first (max_query_length tokens), context windows of
//                    max_seq_length - len(question) - 3 tokens overlapping by doc_stride tokens;
//                    start/end logits -> n-best spans inside the context -> text of the original
//                    context; SQuAD v2.0 no-answer through the [CLS] null score.
//   multiple_choice  SWAG / Story Cloze (BERT §4.4): one (context, ending) pair per choice,
//                    inputs [batch, num_choices, seq]; softmax over choices.
//   ner              token classification (BERT §5.3): each word tokenised on its own, its first
//                    subword labelled, the other subwords -100 (ignored by the loss).
//
// Metric names are transformers' Trainer names (eval_accuracy, eval_f1,
// eval_matthews_correlation, eval_pearson, eval_spearmanr, eval_exact_match, eval_loss, ...).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nlp/tokenizers/tokenizer.h"
#include "nlp/train/recipe.h"
#include "nlp/train/trainer.h"
#include "nlp/util/json.h"

namespace nlp::tasks {

class FinetuneTask : public train::TrainTask {
 public:
  // Architecture suffix of the head model ("ForSequenceClassification").
  virtual std::string head() const = 0;
  // Sets num_labels / id2label / label2id / problem_type in a model config.json.
  virtual void configure_model(json& config) const = 0;
  // The metric that selects the best checkpoint (transformers name, e.g. "eval_accuracy").
  virtual std::string main_metric() const = 0;
  // Writes the prediction files of an evaluation into `dir` (atomically).
  virtual void write_predictions(const train::EvalOutput& eval, const std::string& dir) const = 0;
  // A line comparing with a trivial baseline on the eval set ("majority class (1): 50.9%"),
  // or "" when the task has none.
  virtual std::string baseline() const { return ""; }
  virtual size_t num_eval_examples() const = 0;
  // A one-line summary of the data ("SST-2: 67349 train / 872 eval examples").
  virtual std::string describe() const = 0;
};

// Builds the task that `recipe` names. with_train = false reads only the evaluation data
// (nlp evaluate). Throws nlp::Error for unknown task names and data errors (file:line).
std::unique_ptr<FinetuneTask> make_task(const train::Recipe& recipe, std::shared_ptr<const tok::Tokenizer> tokenizer,
                                        bool with_train = true);

// ---- single-input prediction (nlp predict) ----

struct ClassPrediction {
  int64_t label = -1;  // argmax; -1 for regression
  std::string label_name;
  double score = 0;    // softmax probability of the label (regression: the predicted value)
  std::vector<double> probabilities;
};
ClassPrediction predict_sequence(models::PretrainedModel& model, const tok::Tokenizer& tokenizer, const json& config,
                                 const std::string& text, const std::string& text_pair, int64_t max_seq_length);

struct SpanPrediction {
  std::string text;  // "" = no answer (v2.0)
  int64_t start_char = -1, end_char = -1;  // code point offsets into the context (Python indices)
  double score = 0;        // start_logit + end_logit
  double probability = 0;  // softmax over the n-best
};
struct QaOptions {
  int64_t max_seq_length = 384, doc_stride = 128, max_query_length = 64, n_best_size = 20, max_answer_length = 30;
  bool version_2_with_negative = false;
  double null_score_diff_threshold = 0.0;
};
SpanPrediction predict_answer(models::PretrainedModel& model, const tok::Tokenizer& tokenizer,
                              const std::string& question, const std::string& context, const QaOptions& options);

struct ChoicePrediction {
  int64_t choice = -1;
  std::vector<double> probabilities;
};
ChoicePrediction predict_choice(models::PretrainedModel& model, const tok::Tokenizer& tokenizer, const std::string& context,
                                const std::vector<std::string>& endings, int64_t max_seq_length);

struct TokenPrediction {
  std::string word, label;
  double score = 0;
};
// Splits on whitespace into words and labels each word by its first subword.
std::vector<TokenPrediction> predict_tokens(models::PretrainedModel& model, const tok::Tokenizer& tokenizer,
                                            const json& config, const std::string& text, int64_t max_seq_length);

}  // namespace nlp::tasks
