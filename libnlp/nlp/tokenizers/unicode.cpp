#include "nlp/tokenizers/unicode.h"

#include <utf8proc.h>

#include <algorithm>

#include "nlp/util/error.h"

namespace nlp::tok {

char32_t decode_utf8(std::string_view s, size_t i, size_t& len) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  unsigned char c = p[i];
  len = 1;
  if (c < 0x80) return c;
  auto cont = [&](size_t k) { return i + k < n && (p[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) {
    if (!cont(1)) return kReplacementChar;
    len = 2;
    return (char32_t(c & 0x1F) << 6) | (p[i + 1] & 0x3F);
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return kReplacementChar;
    char32_t cp = (char32_t(c & 0x0F) << 12) | (char32_t(p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return kReplacementChar;
    len = 3;
    return cp;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return kReplacementChar;
    char32_t cp = (char32_t(c & 0x07) << 18) | (char32_t(p[i + 1] & 0x3F) << 12) |
                  (char32_t(p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
    if (cp < 0x10000 || cp > 0x10FFFF) return kReplacementChar;
    len = 4;
    return cp;
  }
  return kReplacementChar;
}

void decode_utf8(std::string_view s, UString& out, uint32_t base) {
  if (s.size() + base >= 0xFFFFFFFFull) fail("tokenizer", "text of " + std::to_string(s.size()) + " bytes is too long (limit 4 GiB)");
  out.clear();
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t len;
    char32_t cp = decode_utf8(s, i, len);
    out.push_back({cp, uint32_t(base + i), uint32_t(base + i + len)});
    i += len;
  }
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

std::string to_utf8(const UString& s, size_t begin, size_t end) {
  std::string out;
  end = std::min(end, s.size());
  out.reserve(end > begin ? end - begin : 0);
  for (size_t i = begin; i < end; ++i) append_utf8(out, s[i].cp);
  return out;
}

int64_t count_chars(std::string_view s) {
  int64_t n = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else {
      size_t len;
      decode_utf8(s, i, len);
      i += len;
    }
    ++n;
  }
  return n;
}

int category(char32_t cp) { return utf8proc_category(utf8proc_int32_t(cp)); }
const char* category_name(char32_t cp) { return utf8proc_category_string(utf8proc_int32_t(cp)); }
int combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  return utf8proc_get_property(utf8proc_int32_t(cp))->combining_class;
}

bool bert_is_whitespace(char32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  if (cp < 0x80) return false;
  return category(cp) == UTF8PROC_CATEGORY_ZS;
}

bool bert_is_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  if (cp < 0x80) return cp < 0x20 || cp == 0x7F;
  int c = category(cp);
  return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CS ||
         c == UTF8PROC_CATEGORY_CO || c == UTF8PROC_CATEGORY_CN;
}

bool bert_is_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  if (cp < 0x80) return false;
  int c = category(cp);
  return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

bool bert_is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool python_isspace(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  if (cp == 0x85) return true;
  int c = category(cp);
  return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

bool python_isdigit(char32_t cp) {
  if (cp >= '0' && cp <= '9') return true;
  if (cp < 0x80) return false;
  if (category(cp) == UTF8PROC_CATEGORY_ND) return true;
  // Numeric_Type=Digit characters outside Nd (superscripts, subscripts, circled digits, ...).
  return cp == 0xB2 || cp == 0xB3 || cp == 0xB9 || cp == 0x2070 || (cp >= 0x2074 && cp <= 0x2079) ||
         (cp >= 0x2080 && cp <= 0x2089) || (cp >= 0x2460 && cp <= 0x2468) || (cp >= 0x2474 && cp <= 0x247C) ||
         (cp >= 0x2488 && cp <= 0x2490) || cp == 0x24EA || (cp >= 0x24F5 && cp <= 0x24FD) || cp == 0x24FF ||
         (cp >= 0x2776 && cp <= 0x277E) || (cp >= 0x2780 && cp <= 0x2788) || (cp >= 0x278A && cp <= 0x2792) ||
         (cp >= 0x1369 && cp <= 0x1371) || cp == 0x19DA;
}

static void lower_one(const UChar& c, UString& out) {
  if (c.cp < 0x80) {
    out.push_back({(c.cp >= 'A' && c.cp <= 'Z') ? c.cp + 32 : c.cp, c.begin, c.end});
  } else if (c.cp == 0x130) {  // the only unconditional multi-character lowercase mapping
    out.push_back({'i', c.begin, c.end});
    out.push_back({0x307, c.begin, c.end});
  } else {
    out.push_back({char32_t(utf8proc_tolower(utf8proc_int32_t(c.cp))), c.begin, c.end});
  }
}

void lower_charwise(const UString& in, UString& out) {
  out.clear();
  out.reserve(in.size());
  for (const auto& c : in) lower_one(c, out);
}

static bool is_cased(char32_t cp) {
  int c = category(cp);
  if (c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT) return true;
  return utf8proc_tolower(utf8proc_int32_t(cp)) != utf8proc_int32_t(cp) ||
         utf8proc_toupper(utf8proc_int32_t(cp)) != utf8proc_int32_t(cp);
}
static bool is_case_ignorable(char32_t cp) {
  if (cp == '\'' || cp == '.' || cp == ':' || cp == 0x2019 || cp == 0xB7 || cp == 0x2027) return true;
  int c = category(cp);
  return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_ME || c == UTF8PROC_CATEGORY_CF ||
         c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_SK;
}

void lower_python(const UString& in, UString& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].cp != 0x3A3) {
      lower_one(in[i], out);
      continue;
    }
    // Final_Sigma: preceded by a cased letter and not followed by one (case-ignorables skipped).
    bool before = false, after = false;
    for (size_t j = i; j-- > 0;) {
      if (is_case_ignorable(in[j].cp)) continue;
      before = is_cased(in[j].cp);
      break;
    }
    for (size_t j = i + 1; j < in.size(); ++j) {
      if (is_case_ignorable(in[j].cp)) continue;
      after = is_cased(in[j].cp);
      break;
    }
    out.push_back({char32_t((before && !after) ? 0x3C2 : 0x3C3), in[i].begin, in[i].end});
  }
}

bool all_below_0300(const UString& s) {
  for (const auto& c : s)
    if (c.cp >= 0x300) return false;
  return true;
}

void decompose(const UString& in, UString& out, bool compat) {
  out.clear();
  out.reserve(in.size() + 8);
  utf8proc_int32_t buf[32];
  const utf8proc_option_t opts = utf8proc_option_t(UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0));
  for (const auto& c : in) {
    if (c.cp < 0xA0) {
      out.push_back(c);
      continue;
    }
    int last_boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(utf8proc_int32_t(c.cp), buf, 32, opts, &last_boundclass);
    if (n <= 0 || n > 32) {
      out.push_back(c);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back({char32_t(buf[k]), c.begin, c.end});
  }
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  size_t i = 0;
  while (i < out.size()) {
    if (combining_class(out[i].cp) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j].cp) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(out.begin() + i, out.begin() + j,
                       [](const UChar& a, const UChar& b) { return combining_class(a.cp) < combining_class(b.cp); });
    i = j;
  }
}

// Canonical composition of a pair, or 0 when the pair does not compose.
static char32_t compose_pair(char32_t a, char32_t b) {
  // Hangul syllables (Unicode 3.12).
  const char32_t SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
  const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;
  if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
    return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
  if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
    return a + (b - TBase);
  utf8proc_uint8_t src[8];
  utf8proc_ssize_t la = utf8proc_encode_char(utf8proc_int32_t(a), src);
  utf8proc_ssize_t lb = utf8proc_encode_char(utf8proc_int32_t(b), src + la);
  utf8proc_int32_t buf[8];
  utf8proc_ssize_t n = utf8proc_decompose(src, la + lb, buf, 8, utf8proc_option_t(UTF8PROC_STABLE));
  if (n != 2) return 0;
  n = utf8proc_reencode(buf, n, utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n <= 0) return 0;
  // reencode wrote UTF-8 into buf; decode it.
  std::string_view s(reinterpret_cast<const char*>(buf), size_t(n));
  size_t len;
  char32_t cp = decode_utf8(s, 0, len);
  return len == size_t(n) ? cp : 0;
}

void nfc(const UString& in, UString& out) {
  if (all_below_0300(in)) {
    out = in;
    return;
  }
  UString d;
  decompose(in, d, false);
  out.clear();
  out.reserve(d.size());
  long starter = -1;  // index in out of the last starter
  int last_cc = -1;   // combining class of the last char appended after the starter (-1: none)
  for (const auto& c : d) {
    int cc = combining_class(c.cp);
    if (starter >= 0 && (last_cc == -1 || (last_cc != 0 && last_cc < cc))) {
      char32_t comp = compose_pair(out[size_t(starter)].cp, c.cp);
      if (comp != 0) {
        UChar& s = out[size_t(starter)];
        s.cp = comp;
        s.begin = std::min(s.begin, c.begin);
        s.end = std::max(s.end, c.end);
        continue;
      }
    }
    if (cc == 0) {
      starter = long(out.size());
      last_cc = -1;
    } else {
      last_cc = cc;
    }
    out.push_back(c);
  }
}

}  // namespace nlp::tok
