// Seedable, portable random numbers for the pretraining data pipeline.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but std::uniform_int_distribution
// & co. are not (libstdc++ and libc++ give different values). Every distribution used by the
// pipeline is therefore written here by hand on top of the raw 64-bit engine output, so the same
// seed gives the same corpus split, examples and masks on every platform and standard library.
//
// Keys: derived streams (one per (seed, epoch, example) for dynamic masking, one per dupe copy
// for static masking, ...) are seeded with mix_seed(), a SplitMix64-based hash, so any example can
// be regenerated in O(1) without replaying earlier draws (reproducible and resumable).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

namespace nlp::pretrain {

// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
uint64_t splitmix64(uint64_t x);

// Hashes a list of 64-bit keys into one seed, e.g. mix_seed({seed, epoch, index}).
// Order matters: mix_seed({1, 2}) != mix_seed({2, 1}).
uint64_t mix_seed(std::initializer_list<uint64_t> keys);

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Raw 64-bit output of std::mt19937_64.
  uint64_t next_u64() { return engine_(); }

  // Uniform double in [0, 1) with 53 random bits: (x >> 11) * 2^-53.
  double uniform01();

  // Unbiased uniform integer in [0, n) by rejection sampling; n must be > 0.
  uint64_t uniform_below(uint64_t n);

  // Uniform integer in [lo, hi] (both inclusive, like Python's random.randint); lo <= hi.
  int64_t uniform_int(int64_t lo, int64_t hi);

  // true with probability p (uniform01() < p).
  bool bernoulli(double p) { return uniform01() < p; }

  // Index i drawn with probability proportional to weights' increments: `cdf` is a
  // non-decreasing cumulative table whose last entry is the total mass (> 0).
  size_t sample_cdf(const std::vector<double>& cdf);

  // Fisher-Yates shuffle (Durstenfeld, from the back), using uniform_below.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(uniform_below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

// A random permutation of 0..n-1 determined by (seed, epoch): the example order of an epoch.
std::vector<uint64_t> epoch_permutation(uint64_t n, uint64_t seed, uint64_t epoch);

}  // namespace nlp::pretrain
