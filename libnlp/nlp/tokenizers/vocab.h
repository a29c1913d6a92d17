// A token -> id map with allocation-free lookups by std::string_view (open addressing over a
// flat table). Used on the hot path of the subword algorithms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nlp::tok {

class VocabMap {
 public:
  // Inserts or overwrites (a later duplicate wins, like a Python dict built in file order).
  void set(std::string_view token, int32_t id);
  // Id of `token`, or -1 when absent.
  int32_t find(std::string_view token) const {
    if (slots_.empty()) return -1;
    uint64_t h = hash(token);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key < 0) return -1;
      if (s.hash == h && keys_[size_t(s.key)] == token) return s.id;
    }
  }
  size_t size() const { return keys_.size(); }
  void reserve(size_t n);

  static uint64_t hash(std::string_view s) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a, then a final mix
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    int32_t key = -1;  // index into keys_, -1 = empty
    int32_t id = -1;
  };
  void grow();
  std::vector<Slot> slots_;
  std::vector<std::string> keys_;
};

}  // namespace nlp::tok
