// Word -> merged-pieces cache shared by the BPE tokenizers (internal header).
//
// Thread-safe: the key space is split over shards, each with its own mutex, so concurrent
// tokenize() calls on one tokenizer rarely contend. Bounded: a shard that reaches its capacity is
// cleared (words are cheap to recompute; this only bounds memory on adversarial input). Words
// longer than max_key_bytes are not cached.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace nlp::tok::bpe_detail {

template <class V>
class WordCache {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxKeyBytes = 128;

  explicit WordCache(size_t capacity_per_shard = 1 << 15) : capacity_(capacity_per_shard) {}

  // Calls fn(value) under the shard lock when `word` is cached; returns whether it was.
  template <class Fn>
  bool visit(std::string_view word, Fn&& fn) const {
    if (word.size() > kMaxKeyBytes) return false;
    size_t h = std::hash<std::string_view>()(word);
    Shard& s = shards_[h % kShards];
    thread_local std::string key;
    key.assign(word.data(), word.size());
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) return false;
    fn(it->second);
    return true;
  }

  void put(std::string_view word, V value) const {
    if (word.size() > kMaxKeyBytes) return;
    size_t h = std::hash<std::string_view>()(word);
    Shard& s = shards_[h % kShards];
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.map.size() >= capacity_) s.map.clear();
    s.map.emplace(std::string(word), std::move(value));
  }

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, V> map;
  };
  size_t capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace nlp::tok::bpe_detail
