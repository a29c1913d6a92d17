#include "nlp/tokenizers/basic.h"

#include <utf8proc.h>

namespace nlp::tok {

BasicTokenizer::BasicTokenizer(BasicTokenizerOptions opts)
    : opts_(std::move(opts)), never_split_(opts_.never_split.begin(), opts_.never_split.end()) {
  strip_ = opts_.strip_accents.has_value() ? *opts_.strip_accents : opts_.do_lower_case;
}

namespace {

bool has_non_ascii(const UChar* b, const UChar* e) {
  for (; b != e; ++b)
    if (b->cp >= 0x80) return true;
  return false;
}

}  // namespace

void BasicTokenizer::split(std::string_view text, UString& chars,
                           std::vector<std::pair<uint32_t, uint32_t>>& words) const {
  thread_local UString a, b, w, t1, t2;
  chars.clear();
  words.clear();
  decode_utf8(text, a);
  if (opts_.lowercase_charwise_first) {
    lower_charwise(a, t1);
    a.swap(t1);
  }
  // Clean text and isolate CJK ideographs.
  b.clear();
  b.reserve(a.size() + 8);
  for (const UChar& c : a) {
    const char32_t cp = c.cp;
    if (cp < 0x80) {
      if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') b.push_back({' ', c.begin, c.end});
      else if (cp == 0 || cp < 0x20 || cp == 0x7F) continue;
      else b.push_back(c);
      continue;
    }
    if (cp == kReplacementChar || bert_is_control(cp)) continue;
    if (bert_is_whitespace(cp)) {
      b.push_back({' ', c.begin, c.end});
    } else if (opts_.tokenize_chinese_chars && bert_is_cjk(cp)) {
      b.push_back({' ', c.begin, c.begin});
      b.push_back(c);
      b.push_back({' ', c.end, c.end});
    } else {
      b.push_back(c);
    }
  }
  // Whitespace split, then per word: NFC, never_split, lower/strip accents, punctuation split.
  const size_t n = b.size();
  size_t i = 0;
  std::string utf8;
  while (i < n) {
    while (i < n && (b[i].cp == ' ' || (b[i].cp >= 0x80 && python_isspace(b[i].cp)))) ++i;
    if (i >= n) break;
    size_t j = i;
    while (j < n && !(b[j].cp == ' ' || (b[j].cp >= 0x80 && python_isspace(b[j].cp)))) ++j;
    const bool non_ascii = has_non_ascii(&b[i], &b[0] + j);
    w.assign(b.begin() + long(i), b.begin() + long(j));
    i = j;
    if (non_ascii) {
      nfc(w, t1);
      w.swap(t1);
    }
    bool keep_whole = false;
    if (!never_split_.empty()) {
      utf8 = to_utf8(w);
      keep_whole = never_split_.count(utf8) > 0;
    }
    if (!keep_whole) {
      if (opts_.do_lower_case) {
        if (non_ascii) {
          lower_python(w, t1);
          w.swap(t1);
        } else {
          for (UChar& c : w)
            if (c.cp >= 'A' && c.cp <= 'Z') c.cp += 32;
        }
      }
      if (strip_ && non_ascii) {
        decompose(w, t1, false);
        w.clear();
        for (const UChar& c : t1)
          if (c.cp < 0x300 || category(c.cp) != UTF8PROC_CATEGORY_MN) w.push_back(c);
      }
    }
    if (keep_whole || !opts_.do_split_on_punc) {
      if (w.empty()) continue;
      words.push_back({uint32_t(chars.size()), uint32_t(chars.size() + w.size())});
      chars.insert(chars.end(), w.begin(), w.end());
      continue;
    }
    size_t start = chars.size();
    for (const UChar& c : w) {
      if (bert_is_punctuation(c.cp)) {
        if (chars.size() > start) words.push_back({uint32_t(start), uint32_t(chars.size())});
        chars.push_back(c);
        words.push_back({uint32_t(chars.size() - 1), uint32_t(chars.size())});
        start = chars.size();
      } else {
        chars.push_back(c);
      }
    }
    if (chars.size() > start) words.push_back({uint32_t(start), uint32_t(chars.size())});
  }
}

std::vector<Piece> BasicTokenizer::tokenize(std::string_view text) const {
  UString chars;
  std::vector<std::pair<uint32_t, uint32_t>> words;
  split(text, chars, words);
  std::vector<Piece> out;
  out.reserve(words.size());
  for (size_t k = 0; k < words.size(); ++k) {
    auto [s, e] = words[k];
    Piece p;
    p.token = to_utf8(chars, s, e);
    p.begin = chars[s].begin;
    p.end = chars[e - 1].end;
    p.word = int32_t(k);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace nlp::tok
