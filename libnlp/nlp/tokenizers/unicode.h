// Unicode helpers shared by the tokenizers: UTF-8 decoding with byte spans, the character classes
// Hugging Face's Python tokenizers use (BERT's _is_whitespace / _is_control / _is_punctuation,
// Python's str.isspace / str.lower / unicodedata.combining), and NFC / NFD / NFKD that keep, for
// every output character, the byte span of the original character(s) it came from.
// Unicode data comes from utf8proc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nlp::tok {

// A code point of normalised text together with the byte span [begin, end) of the original
// text it came from. Several characters can share a span (a decomposition), and a span can
// cover several original characters (a composition).
struct UChar {
  char32_t cp;
  uint32_t begin;
  uint32_t end;
};
using UString = std::vector<UChar>;

constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes one UTF-8 sequence at s[i]; returns the code point and sets `len` to the bytes
// consumed. Invalid or truncated sequences, overlong forms and surrogates decode to U+FFFD
// consuming one byte (as Python's errors="replace" does per invalid byte).
char32_t decode_utf8(std::string_view s, size_t i, size_t& len);

// Decodes text (offset by `base` bytes) into characters with their byte spans.
// Throws nlp::Error when the text is 4 GiB or longer (offsets are 32-bit).
void decode_utf8(std::string_view s, UString& out, uint32_t base = 0);

void append_utf8(std::string& out, char32_t cp);
std::string to_utf8(const UString& s, size_t begin = 0, size_t end = SIZE_MAX);

// Number of code points (invalid bytes count one each, as decode_utf8 reads them).
int64_t count_chars(std::string_view s);

// ---- character classes ----
// utf8proc category of cp (UTF8PROC_CATEGORY_*).
int category(char32_t cp);
// Two-letter Unicode general category ("Lu", "Mn", ...).
const char* category_name(char32_t cp);
int combining_class(char32_t cp);

// BERT BasicTokenizer semantics (transformers models/bert/tokenization_bert.py).
bool bert_is_whitespace(char32_t cp);   // space, \t, \n, \r or category Zs
bool bert_is_control(char32_t cp);      // category C*, except \t \n \r
bool bert_is_punctuation(char32_t cp);  // ASCII 33-47, 58-64, 91-96, 123-126 or category P*
bool bert_is_cjk(char32_t cp);          // CJK Unified Ideographs blocks BERT isolates
// Python str.isspace(): what str.split() with no argument splits on.
bool python_isspace(char32_t cp);
// Python str.isdigit() for one character (Numeric_Type Digit or Decimal).
bool python_isdigit(char32_t cp);

// Python str.lower() applied to each character on its own (no Final_Sigma context): the full
// lowercase mapping (U+0130 -> "i\u0307"), as transformers' tokenize() does with do_lower_case.
void lower_charwise(const UString& in, UString& out);
// Python str.lower() of a whole string: as above plus the Final_Sigma rule.
void lower_python(const UString& in, UString& out);

// Canonical (NFD) / compatibility (NFKD) decomposition with canonical reordering; each output
// character keeps the span of the character it came from.
void decompose(const UString& in, UString& out, bool compat);
// NFC; a composed character's span covers all the characters it was composed from.
void nfc(const UString& in, UString& out);
// True when every character is below U+0300 (such text is unchanged by NFC/NFD).
bool all_below_0300(const UString& s);

}  // namespace nlp::tok
