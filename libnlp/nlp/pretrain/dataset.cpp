#include "nlp/pretrain/dataset.h"

#include <algorithm>

#include "nlp/util/error.h"

namespace nlp::pretrain {

PretrainingDataset::PretrainingDataset(const Corpus& corpus, ExampleSet examples, SpecialTokens special,
                                       DatasetConfig config)
    : corpus_(&corpus), examples_(std::move(examples)), special_(std::move(special)), config_(std::move(config)) {
  if (config_.dupe_factor < 1) fail("DatasetConfig", "field 'dupe_factor': expected >= 1, got 0");
  if (config_.objective == Objective::MaskedLm) validate(config_.masking, special_);
}

uint64_t PretrainingDataset::size() const {
  const uint64_t n = examples_.size();
  if (config_.objective == Objective::MaskedLm && config_.schedule == MaskingSchedule::Static) return n * config_.dupe_factor;
  return n;
}

TrainingExample PretrainingDataset::get(uint64_t index, uint64_t epoch) const {
  if (index >= size())
    fail("PretrainingDataset", "index " + std::to_string(index) + " out of range (size " + std::to_string(size()) + ")");
  const uint64_t n = examples_.size();
  const uint64_t base = index % n;
  Sequence seq = materialize(*corpus_, examples_, base, special_);
  TrainingExample ex;
  ex.token_type_ids = std::move(seq.token_type_ids);
  ex.sentence_label = seq.label >= 0 ? seq.label : kIgnoreIndex;
  if (config_.objective == Objective::CausalLm) {
    ex.labels.assign(seq.input_ids.begin(), seq.input_ids.end());
    ex.input_ids = std::move(seq.input_ids);
    return ex;
  }
  const uint64_t key = config_.schedule == MaskingSchedule::Static ? mix_seed({config_.seed, 0x57A7ull, index / n, base})
                                                                   : mix_seed({config_.seed, 0xD7A3ull, epoch, base});
  Rng rng(key);
  MaskedSequence m = apply_masking(seq, special_, config_.masking, rng);
  ex.input_ids = std::move(m.input_ids);
  ex.labels = std::move(m.labels);
  ex.spans = std::move(m.spans);
  return ex;
}

Batch collate(const std::vector<TrainingExample>& examples, int32_t pad_id, int64_t pad_to_multiple_of) {
  Batch b;
  b.batch_size = static_cast<int64_t>(examples.size());
  int64_t longest = 0;
  for (const auto& e : examples) {
    if (e.token_type_ids.size() != e.input_ids.size() || e.labels.size() != e.input_ids.size())
      fail("collate", "example with mismatched input_ids/token_type_ids/labels lengths");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(e.input_ids.size()));
  }
  const int64_t m = std::max<int64_t>(1, pad_to_multiple_of);
  b.seq_len = (longest + m - 1) / m * m;
  const size_t total = static_cast<size_t>(b.batch_size * b.seq_len);
  b.input_ids.assign(total, pad_id);
  b.attention_mask.assign(total, 0);
  b.token_type_ids.assign(total, 0);
  b.labels.assign(total, kIgnoreIndex);
  std::vector<std::vector<SboTarget>> sbo(examples.size());
  for (size_t r = 0; r < examples.size(); ++r) {
    const auto& e = examples[r];
    if (pad_id < 0 && static_cast<int64_t>(e.input_ids.size()) < b.seq_len)
      fail("collate", "padding needed but the tokenizer has no pad id");
    const size_t row = r * static_cast<size_t>(b.seq_len);
    for (size_t i = 0; i < e.input_ids.size(); ++i) {
      b.input_ids[row + i] = e.input_ids[i];
      b.attention_mask[row + i] = 1;
      b.token_type_ids[row + i] = e.token_type_ids[i];
      b.labels[row + i] = e.labels[i];
    }
    b.sentence_labels.push_back(e.sentence_label);
    MaskedSequence ms;
    ms.spans = e.spans;
    sbo[r] = sbo_targets(ms);
    b.max_sbo = std::max<int64_t>(b.max_sbo, static_cast<int64_t>(sbo[r].size()));
  }
  const size_t st = static_cast<size_t>(b.batch_size * b.max_sbo);
  b.sbo_positions.assign(st, 0);
  b.sbo_left.assign(st, 0);
  b.sbo_right.assign(st, 0);
  b.sbo_relative.assign(st, 0);
  b.sbo_labels.assign(st, kIgnoreIndex);
  b.sbo_mask.assign(st, 0);
  for (size_t r = 0; r < examples.size(); ++r) {
    for (size_t k = 0; k < sbo[r].size(); ++k) {
      const size_t o = r * static_cast<size_t>(b.max_sbo) + k;
      const SboTarget& t = sbo[r][k];
      b.sbo_positions[o] = t.position;
      b.sbo_left[o] = t.left;
      b.sbo_right[o] = t.right;
      b.sbo_relative[o] = t.relative;
      b.sbo_labels[o] = examples[r].labels[static_cast<size_t>(t.position)];
      b.sbo_mask[o] = 1;
    }
  }
  return b;
}

}  // namespace nlp::pretrain
