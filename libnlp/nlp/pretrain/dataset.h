// Indexable pretraining datasets (examples + objective + masking schedule) and batch collation,
// the torch-free part a pretraining loop calls:
//
//   Corpus corpus({open_or_build_shard(...), ...});
//   DocumentSplit split = split_documents(corpus.num_documents(), 0.05, seed);
//   ExampleSet pairs = build_segment_pairs(corpus, split.train, {128, 0.1}, seed);
//   PretrainingDataset data(corpus, std::move(pairs), special, {...});
//   for epoch: for i in epoch_permutation(data.size(), seed, epoch) (in batches):
//       Batch b = collate({data.get(i, epoch), ...}, special.pad);
//
// Masking schedules:
//   Static  (BERT): the masks of an example are fixed when the data is built: example k of the
//           dataset is copy k / n (n = examples, dupe_factor copies) of example k % n, masked
//           with a stream keyed by (seed, copy, k % n) - the same at every epoch, different
//           across copies, like BERT's dupe_factor. Nothing is stored: the masks are regenerated
//           bit-identically on demand.
//   Dynamic (RoBERTa section 4.1): a fresh mask each time a sequence is fed, keyed by
//           (seed, epoch, index), so any step can be reproduced after a resume without replaying
//           earlier epochs.
#pragma once

#include <cstdint>
#include <vector>

#include "nlp/pretrain/corpus.h"
#include "nlp/pretrain/examples.h"
#include "nlp/pretrain/masking.h"

namespace nlp::pretrain {

enum class Objective {
  MaskedLm,  // MLM / WWM / span masking (+ NSP or SOP label when the examples carry one)
  CausalLm,  // GPT: labels = input_ids (the model shifts them, Hugging Face convention)
};
enum class MaskingSchedule { Static, Dynamic };

struct DatasetConfig {
  Objective objective = Objective::MaskedLm;
  MaskingConfig masking;
  MaskingSchedule schedule = MaskingSchedule::Dynamic;
  uint64_t dupe_factor = 1;  // Static only: number of differently-masked copies (>= 1)
  uint64_t seed = 0;
};

// One example, unpadded.
struct TrainingExample {
  std::vector<int32_t> input_ids;       // after masking for MaskedLm
  std::vector<int32_t> token_type_ids;
  std::vector<int64_t> labels;          // MaskedLm: original id at masked positions, else -100; CausalLm: input_ids
  int64_t sentence_label = kIgnoreIndex;  // next_sentence_label / sentence_order_label, -100 when none
  std::vector<MaskedSpan> spans;        // span masking only (for SBO, see sbo_targets)
};

class PretrainingDataset {
 public:
  // Validates the masking config against `special` for MaskedLm (nlp::Error on bad values).
  // `corpus` must outlive the dataset.
  PretrainingDataset(const Corpus& corpus, ExampleSet examples, SpecialTokens special, DatasetConfig config);

  // Static: examples * dupe_factor; Dynamic / CausalLm: examples.
  uint64_t size() const;
  // Example `index` (< size()) as fed at `epoch`. Deterministic in (config.seed, epoch, index);
  // for Static and CausalLm independent of `epoch`. Thread-safe (const, no shared state).
  TrainingExample get(uint64_t index, uint64_t epoch) const;

  const ExampleSet& examples() const { return examples_; }
  const SpecialTokens& special() const { return special_; }
  const DatasetConfig& config() const { return config_; }

 private:
  const Corpus* corpus_;
  ExampleSet examples_;
  SpecialTokens special_;
  DatasetConfig config_;
};

// A padded batch, every tensor flattened row-major as int64 (torch::kLong-ready):
// [batch, seq_len] for the token fields; seq_len = the longest example rounded up to a multiple
// of pad_to_multiple_of. Padding: input_ids = pad_id, attention_mask = 0, token_type_ids = 0,
// labels = -100. SBO fields are [batch, max_sbo] (max_sbo = most masked span tokens in an
// example; padded entries have sbo_mask 0, indices 0 and sbo_labels -100).
struct Batch {
  int64_t batch_size = 0;
  int64_t seq_len = 0;
  std::vector<int64_t> input_ids, attention_mask, token_type_ids, labels;
  std::vector<int64_t> sentence_labels;  // [batch]; -100 = none
  int64_t max_sbo = 0;
  std::vector<int64_t> sbo_positions, sbo_left, sbo_right, sbo_relative, sbo_labels, sbo_mask;
};
// Throws nlp::Error when pad_id < 0 and padding is needed, or an example is inconsistent.
Batch collate(const std::vector<TrainingExample>& examples, int32_t pad_id, int64_t pad_to_multiple_of = 1);

}  // namespace nlp::pretrain
