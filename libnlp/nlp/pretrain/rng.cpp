#include "nlp/pretrain/rng.h"

#include <algorithm>
#include <numeric>

namespace nlp::pretrain {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t mix_seed(std::initializer_list<uint64_t> keys) {
  uint64_t h = 0x6A09E667F3BCC909ull;  // arbitrary non-zero start
  for (uint64_t k : keys) h = splitmix64(h ^ splitmix64(k));
  return h;
}

double Rng::uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

uint64_t Rng::uniform_below(uint64_t n) {
  // Reject the lowest (2^64 mod n) values so every residue is equally likely.
  const uint64_t threshold = (uint64_t{0} - n) % n;
  uint64_t x;
  do {
    x = engine_();
  } while (x < threshold);
  return x % n;
}

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;  // 0 = full 2^64 range
  uint64_t r = span == 0 ? engine_() : uniform_below(span);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + r);
}

size_t Rng::sample_cdf(const std::vector<double>& cdf) {
  double u = uniform01() * cdf.back();
  auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  size_t i = static_cast<size_t>(it - cdf.begin());
  return std::min(i, cdf.size() - 1);
}

std::vector<uint64_t> epoch_permutation(uint64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<uint64_t> order(n);
  std::iota(order.begin(), order.end(), uint64_t{0});
  Rng rng(mix_seed({seed, epoch, 0x5EEDull}));
  rng.shuffle(order);
  return order;
}

}  // namespace nlp::pretrain
