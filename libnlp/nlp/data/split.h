// Deterministic train/eval split, for recipes that carve an evaluation part out of a single
// file (XQuAD-en or KorQuAD dev, Story Cloze val). The same (n, eval_fraction, seed) gives the
// same split on every platform: a Fisher-Yates shuffle driven by std::mt19937_64 (whose output
// sequence the C++ standard fixes) with unbiased rejection sampling, not std::shuffle or
// std::uniform_int_distribution (whose algorithms are implementation-defined).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nlp::data {

struct SplitIndices {
  std::vector<size_t> train;  // ascending
  std::vector<size_t> eval;   // ascending
};

// eval gets round(n * eval_fraction) items, clamped to [1, n - 1]. Throws nlp::Error when n < 2
// or eval_fraction is not in (0, 1).
SplitIndices train_eval_split(size_t n, double eval_fraction, uint64_t seed);

// Permutation of 0..n-1 (the shuffle used above).
std::vector<size_t> deterministic_permutation(size_t n, uint64_t seed);

// Convenience: splits `items` into (train, eval) copies by train_eval_split.
template <class T>
std::pair<std::vector<T>, std::vector<T>> split_items(const std::vector<T>& items, double eval_fraction, uint64_t seed) {
  SplitIndices s = train_eval_split(items.size(), eval_fraction, seed);
  std::pair<std::vector<T>, std::vector<T>> out;
  out.first.reserve(s.train.size());
  out.second.reserve(s.eval.size());
  for (size_t i : s.train) out.first.push_back(items[i]);
  for (size_t i : s.eval) out.second.push_back(items[i]);
  return out;
}

}  // namespace nlp::data
