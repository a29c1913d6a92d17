#include "nlp/tokenizers/vocab.h"

namespace nlp::tok {

void VocabMap::reserve(size_t n) {
  size_t want = 16;
  while (want < n * 2) want <<= 1;
  if (want <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(want, Slot{});
  size_t mask = want - 1;
  for (const Slot& s : old) {
    if (s.key < 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].key >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void VocabMap::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

void VocabMap::set(std::string_view token, int32_t id) {
  if ((keys_.size() + 1) * 2 > slots_.size()) grow();
  uint64_t h = hash(token);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key < 0) {
      s.hash = h;
      s.key = int32_t(keys_.size());
      s.id = id;
      keys_.emplace_back(token);
      return;
    }
    if (s.hash == h && keys_[size_t(s.key)] == token) {
      s.id = id;
      return;
    }
  }
}

}  // namespace nlp::tok
