// The heap-based merge in BpeModel against a direct transcription of the merge semantics of
// transformers' bpe(): pick the lowest-ranked adjacent pair, merge all its occurrences left to
// right, repeat. Random words over a small alphabet and random rule lists (including rules whose
// rank is lower than the rules that create their parts) exercise overlapping pairs ("a a a")
// and the phase ordering.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "nlp/tokenizers/bpe.h"

using namespace nlp::tok;

namespace {

std::vector<std::string> reference_merge(std::vector<std::string> word, const std::map<BpeMerge, int>& ranks) {
  while (word.size() > 1) {
    int best = -1;
    BpeMerge pair;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = ranks.find({word[i], word[i + 1]});
      if (it != ranks.end() && (best < 0 || it->second < best)) {
        best = it->second;
        pair = it->first;
      }
    }
    if (best < 0) break;
    std::vector<std::string> next;
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == pair.first && word[i + 1] == pair.second) {
        next.push_back(word[i] + word[i + 1]);
        i += 2;
      } else {
        next.push_back(word[i]);
        i += 1;
      }
    }
    word.swap(next);
  }
  return word;
}

}  // namespace

TEST_CASE("BpeModel::merge equals the reference merge procedure on random rules and words", "[bpe][merge]") {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    // symbols: single letters plus random concatenations of existing symbols
    std::vector<std::string> syms{"a", "b", "c"};
    std::vector<BpeMerge> merges;
    int n_rules = 3 + static_cast<int>(rng() % 25);
    for (int r = 0; r < n_rules; ++r) {
      const std::string& x = syms[rng() % syms.size()];
      const std::string& y = syms[rng() % syms.size()];
      merges.emplace_back(x, y);
      if (x.size() + y.size() <= 6) syms.push_back(x + y);
    }
    std::shuffle(merges.begin(), merges.end(), rng);  // ranks in any order
    std::map<BpeMerge, int> ranks;
    for (size_t r = 0; r < merges.size(); ++r) ranks[merges[r]] = static_cast<int>(r);  // last rank wins
    BpeVocab vocab{{"a", 0}};
    BpeModel model(vocab, merges, "random");
    for (int w = 0; w < 20; ++w) {
      int len = 1 + static_cast<int>(rng() % 30);
      std::vector<std::string> word;
      std::vector<int32_t> units;
      for (int k = 0; k < len; ++k) {
        word.push_back(std::string(1, static_cast<char>('a' + rng() % 3)));
        units.push_back(model.symbol_id(word.back()));
      }
      std::vector<BpeModel::Span> spans;
      model.merge(units.data(), len, spans);
      std::vector<std::string> got;
      int32_t expect_begin = 0;
      for (const auto& s : spans) {
        std::string t;
        for (int32_t k = s.unit_begin; k < s.unit_end; ++k) t += word[k];
        REQUIRE(s.unit_begin == expect_begin);
        expect_begin = s.unit_end;
        if (s.symbol >= 0) REQUIRE(model.symbol(s.symbol) == t);
        got.push_back(t);
      }
      REQUIRE(expect_begin == len);
      INFO("trial " << trial << " word " << w);
      REQUIRE(got == reference_merge(word, ranks));
    }
  }
}
