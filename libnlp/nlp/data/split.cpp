#include "nlp/data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "nlp/util/error.h"

namespace nlp::data {

// Uniform integer in [0, bound) from raw 64-bit draws, rejecting the biased tail.
static uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;  // largest multiple of bound, minus one
  uint64_t x;
  do x = rng();
  while (x > limit);
  return x % bound;
}

std::vector<size_t> deterministic_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), size_t{0});
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[uniform_below(rng, i)]);
  return p;
}

SplitIndices train_eval_split(size_t n, double eval_fraction, uint64_t seed) {
  if (!(eval_fraction > 0.0 && eval_fraction < 1.0))
    fail("train_eval_split", "eval_fraction must be in (0, 1) but got " + std::to_string(eval_fraction));
  if (n < 2) fail("train_eval_split", "need at least 2 examples to split but got " + std::to_string(n));
  size_t n_eval = static_cast<size_t>(std::llround(static_cast<double>(n) * eval_fraction));
  n_eval = std::clamp<size_t>(n_eval, 1, n - 1);
  std::vector<size_t> p = deterministic_permutation(n, seed);
  SplitIndices s;
  s.eval.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n_eval));
  s.train.assign(p.begin() + static_cast<std::ptrdiff_t>(n_eval), p.end());
  std::sort(s.eval.begin(), s.eval.end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

}  // namespace nlp::data
