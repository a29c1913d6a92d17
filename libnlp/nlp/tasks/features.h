// Shared helpers of the task pipelines: encoded inputs and dynamic padding into tensors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nlp/models/model.h"
#include "nlp/tokenizers/tokenizer.h"

namespace nlp::tasks {

// One encoded input: ids and token types (attention mask = 1 over its length).
struct InputFeature {
  std::vector<int64_t> input_ids;
  std::vector<int64_t> token_type_ids;
};

InputFeature to_feature(const tok::Encoding& enc);

// Pads features[i] for i in `indices` to the longest of them: input_ids with pad_token_id,
// token_type_ids with 0, attention_mask 0 on padding. Tensors [batch, seq] int64.
models::TensorMap pad_batch(const std::vector<const InputFeature*>& features, int64_t pad_token_id);

// Multiple choice: [batch, num_choices, seq], every choice padded to the longest of the batch.
models::TensorMap pad_choice_batch(const std::vector<std::vector<const InputFeature*>>& examples, int64_t pad_token_id);

// Pad id of a tokenizer (0 when it has none).
int64_t pad_id(const tok::Tokenizer& tokenizer);

// Encodes a text (pair) with longest_first truncation to max_length.
tok::Encoding encode_truncated(const tok::Tokenizer& tokenizer, const std::string& a, const std::string& b,
                               int64_t max_length);

// The first `n` items of a deterministic permutation (seed) of `items`, in their original order;
// all items when n < 0 or n >= size.
template <class T>
std::vector<T> take_subset(const std::vector<T>& items, long n, uint64_t seed);

// The number of tokens the tokenizer's template puts before the second sequence and in total,
// found by building a pair around sentinel ids: ids(a, b) = prefix a mid b suffix.
struct PairTemplate {
  std::vector<int64_t> prefix, middle, suffix;
  bool token_types = true;  // BERT-style token_type_ids (0 for the first segment, 1 for the second)
};
PairTemplate pair_template(const tok::Tokenizer& tokenizer);
PairTemplate single_template(const tok::Tokenizer& tokenizer);  // prefix a suffix (middle unused)

}  // namespace nlp::tasks

#include "nlp/data/split.h"

template <class T>
std::vector<T> nlp::tasks::take_subset(const std::vector<T>& items, long n, uint64_t seed) {
  if (n < 0 || static_cast<size_t>(n) >= items.size()) return items;
  std::vector<size_t> perm = data::deterministic_permutation(items.size(), seed);
  perm.resize(static_cast<size_t>(n));
  std::sort(perm.begin(), perm.end());
  std::vector<T> out;
  out.reserve(perm.size());
  for (size_t i : perm) out.push_back(items[i]);
  return out;
}
