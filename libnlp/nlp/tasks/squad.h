// SQuAD-style extractive QA features and post-processing (transformers run_qa.py
// prepare_train_features / prepare_validation_features / postprocess_qa_predictions).
//
// Windows: the question (leading whitespace stripped, at most max_query_length tokens) and the
// tokenised context are laid out as the tokenizer's pair template (BERT: [CLS] q [SEP] c [SEP]).
// The context is cut into windows of max_seq_length - len(q) - 3 tokens; consecutive windows
// overlap by doc_stride tokens (the fast tokenizers' `stride`), the last window ends at the end
// of the context.
// Labels: the answer's token span when the window contains the whole answer (first token whose
// start <= answer start, ... last token whose end >= answer end), else (0, 0) = the [CLS] token.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nlp/tasks/features.h"
#include "nlp/tasks/task.h"

namespace nlp::tasks {

struct QaFeature {
  size_t example_index = 0;
  InputFeature input;
  // Byte offsets [begin, end) into the context of every token; (-1, -1) for question, special
  // and padding tokens (not selectable as an answer).
  std::vector<std::pair<int64_t, int64_t>> offsets;
  int64_t start_position = 0, end_position = 0;  // training labels (0 = [CLS]: no answer here)
  bool answer_in_window = false;
};

// The windows of one question. `answer_begin_byte`/`answer_end_byte` (< 0: none) give the gold
// span for the training labels.
std::vector<QaFeature> make_qa_features(const tok::Tokenizer& tokenizer, const std::string& question,
                                        const std::string& context, const QaOptions& options,
                                        int64_t answer_begin_byte = -1, int64_t answer_end_byte = -1,
                                        size_t example_index = 0);

struct QaCandidate {
  std::string text;
  int64_t begin_byte = 0, end_byte = 0;  // [0, 0) and text "" for the null answer
  double start_logit = 0, end_logit = 0;
  double score() const { return start_logit + end_logit; }
  double probability = 0;
};

struct QaExamplePrediction {
  std::string answer;               // the prediction ("" = no answer, v2.0)
  double null_score_diff = 0;       // null score - best non-null score (v2.0 na_prob input)
  std::vector<QaCandidate> n_best;  // best first, probabilities = softmax over the n-best scores
};

// postprocess_qa_predictions for one example: `features` are its windows and start/end logits
// (each of the window's length or longer).
QaExamplePrediction postprocess_qa(const std::string& context, const std::vector<const QaFeature*>& features,
                                   const std::vector<std::vector<float>>& start_logits,
                                   const std::vector<std::vector<float>>& end_logits, const QaOptions& options);

}  // namespace nlp::tasks
