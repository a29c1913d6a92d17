// Shared checks for the tokenizer fuzz targets: every input must give a defined result (no
// crash, no sanitizer report), ids inside the vocabulary, offsets inside the text, and decode
// must accept the ids. Vocabularies come from ../shared/fixtures/tokenizers (LIBNLP_SHARED).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <algorithm>

#include "nlp/tokenizers/tokenizer.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp_fuzz {

inline const nlp::tok::Tokenizer& load(const std::string& name) {
  static std::map<std::string, std::unique_ptr<nlp::tok::Tokenizer>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return *it->second;
  auto t = std::make_unique<nlp::tok::Tokenizer>(nlp::tok::Tokenizer::from_pretrained(
      nlp::path_join(nlp::shared_dir(), "fixtures/tokenizers/" + name)));
  return *cache.emplace(name, std::move(t)).first->second;
}

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Input layout: byte 0 picks options, the rest is split at the first 0x1F byte into text and
// (when option bit 0 is set) text_pair.
inline void run(const nlp::tok::Tokenizer& tok, const uint8_t* data, size_t size) {
  if (size == 0) return;
  const uint8_t opt = data[0];
  std::string all(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string text = all, pair;
  const bool is_pair = opt & 1;
  if (is_pair) {
    size_t cut = all.find('\x1f');
    text = all.substr(0, cut);
    pair = cut == std::string::npos ? std::string() : all.substr(cut + 1);
  }
  nlp::tok::EncodeOptions o;
  o.max_length = (opt >> 4) ? 8 + 4 * (opt >> 4) : -1;
  o.truncation = o.max_length > 0 ? (is_pair ? ((opt & 2) ? nlp::tok::Truncation::OnlySecond : nlp::tok::Truncation::LongestFirst)
                                              : nlp::tok::Truncation::LongestFirst)
                                  : nlp::tok::Truncation::DoNotTruncate;
  o.padding = (opt & 4) ? nlp::tok::Padding::MaxLength : nlp::tok::Padding::DoNotPad;
  if ((opt & 8) && o.truncation != nlp::tok::Truncation::LongestFirst && o.max_length > 0) {
    o.return_overflowing_tokens = true;
    o.stride = 2;
  }
  nlp::tok::Encoding e;
  try {
    e = is_pair ? tok.encode(text, pair, o) : tok.encode(text, o);
  } catch (const nlp::Error&) {
    return;  // a clear error (e.g. no room for a window) is a defined result
  }
  const int64_t v = tok.vocab_size() + 8;
  for (size_t k = 0; k < e.size(); ++k) {
    check(e.input_ids[k] >= 0 && e.input_ids[k] < v);
    const auto [b, en] = e.offsets[k];
    const size_t len = e.sequence_ids[k] == 1 ? pair.size() : text.size();
    check(b >= 0 && b <= en && en <= int64_t(len));
    check(e.char_offsets[k].first <= e.char_offsets[k].second);
  }
  if (o.max_length > 0 && !o.return_overflowing_tokens && o.truncation == nlp::tok::Truncation::LongestFirst && !is_pair)
    check(int64_t(e.size()) <= std::max<int64_t>(o.max_length, tok.num_special_tokens_to_add(false) + 1));
  (void)tok.decode(e.input_ids, opt & 2);
  (void)tok.decode(e.input_ids, false, false);
}

}  // namespace nlp_fuzz
