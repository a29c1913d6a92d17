// Span-level NER evaluation with conlleval semantics (the CoNLL-2000/2003 Perl script), as
// seqeval computes it in its default mode (which Hugging Face's run_ner reports):
// chunks are read from IOB1, BIO (IOB2), IOE or IOBES tags with conlleval's start/end rules
// (a chunk also starts at an I- tag after O or after a different type, so an entity that begins
// with I- counts), a predicted chunk is correct when type, start and end all match a gold chunk,
// and precision/recall/F1 are micro-averaged over all chunks. Sentences are evaluated
// independently (seqeval joins them with "O").
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace nlp::metrics {

struct Entity {
  std::string type;
  size_t start = 0;  // first token
  size_t end = 0;    // last token (inclusive, as seqeval)
  bool operator==(const Entity& o) const { return type == o.type && start == o.start && end == o.end; }
};

// Chunks of one tag sequence (seqeval get_entities / conlleval). The tag letter is the first
// character ("B", "I", "E", "S", "O"), the type what follows the first "-" ("PER" in "B-PER").
// Throws nlp::Error on an empty tag string.
std::vector<Entity> extract_entities(const std::vector<std::string>& tags);

struct NerTypeScores {
  std::string type;
  double precision = 0.0, recall = 0.0, f1 = 0.0;
  size_t number = 0;  // gold chunks of this type (seqeval "number"/support)
};

struct NerScores {
  double precision = 0.0, recall = 0.0, f1 = 0.0;  // 0 where the denominator is 0 (seqeval zero_division)
  double accuracy = 0.0;                           // token accuracy (seqeval accuracy_score)
  size_t num_gold = 0, num_predicted = 0, num_correct = 0;
  std::vector<NerTypeScores> per_type;             // sorted by type name, as seqeval's report
};

// gold[i] and predicted[i] are the tag sequences of sentence i; lengths must agree (nlp::Error
// naming the sentence otherwise).
NerScores evaluate_ner(const std::vector<std::vector<std::string>>& gold, const std::vector<std::vector<std::string>>& predicted);

// The metrics Hugging Face's run_ner reports (Trainer prefixes "eval_"): precision, recall, f1,
// accuracy from seqeval's overall scores; with entity_level also "<TYPE>_precision",
// "<TYPE>_recall", "<TYPE>_f1", "<TYPE>_number" per type.
std::vector<std::pair<std::string, double>> ner_metric_list(const NerScores& scores, bool entity_level = false);

}  // namespace nlp::metrics
