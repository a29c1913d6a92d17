#include "nlp/tokenizers/bpe.h"

#include <utf8proc.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nlp/tokenizers/bpe_cache.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tok {

// ---------------------------------------------------------------------------------------------
// UTF-8 helpers
namespace bpe_detail {

namespace {
// Length of the well-formed prefix of a sequence starting at s[i] (Unicode Table 3-7), and
// whether it is complete. Returns the number of bytes of the maximal subpart (>= 1).
size_t utf8_scan(std::string_view s, size_t i, bool& ok) {
  auto u = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = u(i);
  ok = true;
  if (c < 0x80) return 1;
  int need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c == 0xE0) { need = 2; lo = 0xA0; }
  else if (c >= 0xE1 && c <= 0xEC) need = 2;
  else if (c == 0xED) { need = 2; hi = 0x9F; }
  else if (c >= 0xEE && c <= 0xEF) need = 2;
  else if (c == 0xF0) { need = 3; lo = 0x90; }
  else if (c >= 0xF1 && c <= 0xF3) need = 3;
  else if (c == 0xF4) { need = 3; hi = 0x8F; }
  else { ok = false; return 1; }
  size_t k = i + 1;
  for (int n = 0; n < need; ++n, ++k) {
    if (k >= s.size() || u(k) < lo || u(k) > hi) { ok = false; return k - i; }
    lo = 0x80; hi = 0xBF;
  }
  return k - i;
}
}  // namespace

bool utf8_is_valid(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    if (static_cast<unsigned char>(s[i]) < 0x80) { ++i; continue; }
    bool ok;
    size_t len = utf8_scan(s, i, ok);
    if (!ok) return false;
    i += len;
  }
  return true;
}

std::string utf8_replace_invalid(std::string_view s, std::vector<int64_t>* bmap, std::vector<int64_t>* emap) {
  std::string out;
  out.reserve(s.size() + 8);
  if (bmap) { bmap->clear(); bmap->reserve(s.size() + 9); }
  if (emap) { emap->clear(); emap->reserve(s.size() + 9); emap->push_back(0); }
  size_t i = 0;
  while (i < s.size()) {
    bool ok;
    size_t len = utf8_scan(s, i, ok);
    if (ok) {
      out.append(s.data() + i, len);
      for (size_t k = 0; k < len; ++k) {
        if (bmap) bmap->push_back(static_cast<int64_t>(i + k));
        if (emap) emap->push_back(static_cast<int64_t>(i + k + 1));
      }
    } else {
      out.append("\xEF\xBF\xBD");
      for (int k = 0; k < 3; ++k) {
        if (bmap) bmap->push_back(static_cast<int64_t>(i));
        if (emap) emap->push_back(static_cast<int64_t>(i + len));
      }
    }
    i += len;
  }
  if (bmap) bmap->push_back(static_cast<int64_t>(s.size()));
  return out;
}

char32_t utf8_next(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) { ++i; return c; }
  int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  char32_t cp = c & (0x3F >> n);
  ++i;
  for (int k = 0; k < n && i < s.size(); ++k, ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  return cp;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool py_isspace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string_view py_strip(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t k = b;
    if (!py_isspace(utf8_next(s, k))) break;
    b = k;
  }
  size_t e = s.size();
  while (e > b) {
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t k = start;
    if (!py_isspace(utf8_next(s, k))) break;
    e = start;
  }
  return s.substr(b, e - b);
}

}  // namespace bpe_detail

using namespace bpe_detail;

// ---------------------------------------------------------------------------------------------
// Files

namespace {
// SAX reader for a flat {token: id} object: fast on 50k keys, and its errors name the token.
struct VocabSax : nlohmann::json_sax<nlohmann::json> {
  std::string path;
  std::vector<std::pair<std::string, int32_t>> entries;
  std::string key_;
  int depth = 0;
  bool top_is_object = false;
  std::string error;

  bool value(int64_t v, const std::string& shown) {
    if (depth != 1) return bad_value(shown);
    if (v < 0 || v > INT32_MAX) return bad_value(shown);
    entries.emplace_back(std::move(key_), static_cast<int32_t>(v));
    return true;
  }
  bool bad_value(const std::string& shown) {
    if (depth == 0) error = "expected a JSON object {token: id} but got " + shown;
    else error = "token '" + key_ + "': expected an integer id in [0, 2^31) but got " + shown;
    return false;
  }
  bool null() override { return bad_value("null"); }
  bool boolean(bool b) override { return bad_value(b ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return value(v, std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    return v > static_cast<number_unsigned_t>(INT32_MAX) ? bad_value(std::to_string(v)) : value(static_cast<int64_t>(v), std::to_string(v));
  }
  bool number_float(number_float_t, const string_t& s) override { return bad_value(s); }
  bool string(string_t& s) override { return bad_value("\"" + s + "\""); }
  bool binary(binary_t&) override { return bad_value("binary data"); }
  bool start_object(std::size_t) override {
    if (depth != 0) return bad_value("an object");
    top_is_object = true;
    ++depth;
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool end_object() override {
    --depth;
    return true;
  }
  bool start_array(std::size_t) override { return bad_value("an array"); }
  bool end_array() override { return false; }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
    error = "not valid JSON (expected an object {token: id}) at byte " + std::to_string(pos) + ": " + ex.what();
    return false;
  }
};
}  // namespace

BpeVocab read_bpe_vocab_json(const std::string& path) {
  std::string text = nlp::read_file(path);
  VocabSax sax;
  bool ok = nlohmann::json::sax_parse(text, &sax);
  if (!ok || !sax.error.empty()) nlp::fail(path, sax.error.empty() ? "not valid JSON" : sax.error);
  if (!sax.top_is_object) nlp::fail(path, "expected a JSON object {token: id}");
  if (sax.entries.empty()) nlp::fail(path, "expected a non-empty vocabulary object but got {}");
  BpeVocab vocab;
  vocab.reserve(sax.entries.size());
  for (auto& [k, v] : sax.entries) vocab[std::move(k)] = v;
  return vocab;
}

std::vector<BpeMerge> read_bpe_merges_txt(const std::string& path) {
  std::string text = nlp::read_file(path);
  std::vector<BpeMerge> merges;
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.substr(0, 8) == "#version") continue;
    auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; };
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && is_ws(line[i])) ++i;
      size_t b = i;
      while (i < line.size() && !is_ws(line[i])) ++i;
      if (i > b) parts.push_back(line.substr(b, i - b));
    }
    if (parts.empty()) continue;
    std::string where = path + ":" + std::to_string(line_no);
    if (!utf8_is_valid(line)) nlp::fail(where, "merge rule is not valid UTF-8");
    if (parts.size() != 2)
      nlp::fail(where, "expected a merge rule of two space-separated symbols (\"a b\") but got '" + std::string(line) + "'");
    merges.emplace_back(std::string(parts[0]), std::string(parts[1]));
  }
  return merges;
}

// ---------------------------------------------------------------------------------------------
// BpeModel

BpeModel::BpeModel(BpeVocab vocab, const std::vector<BpeMerge>& merges, std::string source)
    : vocab_(std::move(vocab)), source_(std::move(source)) {
  if (vocab_.empty()) nlp::fail(source_, "expected a non-empty vocabulary");
  for (const auto& [tok, id] : vocab_) {
    if (id < 0) nlp::fail(source_, "token '" + tok + "': expected a non-negative id but got " + std::to_string(id));
    auto [it, fresh] = id_to_token_.emplace(id, tok);
    if (!fresh && tok < it->second) it->second = tok;  // shared id: deterministic choice
  }
  pairs_.reserve(merges.size() * 2);
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    if (a.empty() || b.empty())
      nlp::fail(source_, "merge " + std::to_string(r) + ": expected two non-empty symbols but got '" + a + " " + b + "'");
    int32_t sa = intern(a), sb = intern(b), sm = intern(a + b);
    pairs_[key(sa, sb)] = Rule{static_cast<int32_t>(r), sm};  // a repeated rule keeps its last rank
  }
  finalize();
}

int32_t BpeModel::intern(const std::string& s) {
  auto it = symbol_ids_.find(s);
  if (it != symbol_ids_.end()) return it->second;
  int32_t id = static_cast<int32_t>(symbols_.size());
  symbols_.push_back(s);
  symbol_ids_.emplace(s, id);
  return id;
}

void BpeModel::finalize() {
  symbol_vocab_.resize(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); ++i) symbol_vocab_[i] = token_to_id(symbols_[i]);
}

int32_t BpeModel::symbol_id(std::string_view s) const {
  thread_local std::string key;
  key.assign(s.data(), s.size());
  auto it = symbol_ids_.find(key);
  return it == symbol_ids_.end() ? -1 : it->second;
}

int32_t BpeModel::token_to_id(std::string_view token) const {
  thread_local std::string key;
  key.assign(token.data(), token.size());
  auto it = vocab_.find(key);
  return it == vocab_.end() ? -1 : it->second;
}

std::string BpeModel::id_to_token(int32_t id) const {
  auto it = id_to_token_.find(id);
  if (it == id_to_token_.end())
    nlp::fail(source_, "id " + std::to_string(id) + " is not in the vocabulary (" + std::to_string(vocab_.size()) +
                           " tokens)");
  return it->second;
}

const BpeModel::Rule* BpeModel::find(int32_t a, int32_t b) const {
  if (a < 0 || b < 0) return nullptr;
  auto it = pairs_.find(key(a, b));
  return it == pairs_.end() ? nullptr : &it->second;
}

namespace {
struct Node {
  int32_t sym, prev, next, begin, end;
};
struct Cand {
  int32_t rank, pos, left, right, merged;
  bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};
}  // namespace

void BpeModel::merge(const int32_t* units, int32_t n, std::vector<Span>& out) const {
  if (n <= 0) return;
  if (n == 1) {
    out.push_back(Span{units[0], 0, 1});
    return;
  }
  thread_local std::vector<Node> nodes;
  thread_local std::vector<Cand> heap, deferred;
  const std::greater<Cand> cmp;
  nodes.resize(n);
  for (int32_t i = 0; i < n; ++i) nodes[i] = Node{units[i], i - 1, i + 1 < n ? i + 1 : -1, i, i + 1};
  heap.clear();
  deferred.clear();
  for (int32_t i = 0; i + 1 < n; ++i)
    if (const Rule* r = find(units[i], units[i + 1])) heap.push_back(Cand{r->rank, i, units[i], units[i + 1], r->merged});
  std::make_heap(heap.begin(), heap.end(), cmp);
  // Phases: all occurrences of the lowest-ranked pair are merged (left to right, which the
  // position tie-break gives) before pairs created meanwhile with a lower rank are considered.
  int32_t phase = -1;
  while (true) {
    if (heap.empty() || heap.front().rank != phase) {
      for (const Cand& c : deferred) {
        heap.push_back(c);
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
      deferred.clear();
      if (heap.empty()) break;
      phase = heap.front().rank;
    }
    std::pop_heap(heap.begin(), heap.end(), cmp);
    Cand c = heap.back();
    heap.pop_back();
    Node& l = nodes[c.pos];
    if (l.sym != c.left || l.next < 0) continue;  // stale: left changed or was absorbed
    Node& r = nodes[l.next];
    if (r.sym != c.right) continue;
    l.sym = c.merged;
    l.end = r.end;
    l.next = r.next;
    r.sym = -2;  // dead
    if (l.next >= 0) nodes[l.next].prev = c.pos;
    auto add = [&](int32_t pos, int32_t a, int32_t b) {
      if (const Rule* rule = find(a, b)) {
        Cand nc{rule->rank, pos, a, b, rule->merged};
        if (rule->rank < phase) {
          deferred.push_back(nc);
        } else {
          heap.push_back(nc);
          std::push_heap(heap.begin(), heap.end(), cmp);
        }
      }
    };
    if (l.prev >= 0) add(l.prev, nodes[l.prev].sym, l.sym);
    if (l.next >= 0) add(c.pos, l.sym, nodes[l.next].sym);
  }
  for (int32_t i = 0; i >= 0; i = nodes[i].next) out.push_back(Span{nodes[i].sym, nodes[i].begin, nodes[i].end});
}

// ---------------------------------------------------------------------------------------------
// GPT-1 pre-tokenization (BasicTokenizer fallback)

namespace {

bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CS ||
         cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CN;
}

bool is_bert_whitespace(char32_t c) {
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
  return utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_ZS;
}

bool is_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat == UTF8PROC_CATEGORY_PC || cat == UTF8PROC_CATEGORY_PD || cat == UTF8PROC_CATEGORY_PS ||
         cat == UTF8PROC_CATEGORY_PE || cat == UTF8PROC_CATEGORY_PI || cat == UTF8PROC_CATEGORY_PF ||
         cat == UTF8PROC_CATEGORY_PO;
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// A character of normalised text with the original byte span it came from.
struct NChar {
  char32_t cp;
  int64_t begin, end;
};

// Strip accents of one whitespace-delimited word: NFD (canonical decomposition + canonical
// ordering of combining marks), then drop Mn. Then split punctuation; each resulting word is
// passed to `emit`.
template <class Emit>
void finish_word(std::vector<NChar>& raw, std::vector<NChar>& tmp, Emit&& emit) {
  if (raw.empty()) return;
  tmp.clear();
  for (const NChar& ch : raw) {
    utf8proc_int32_t buf[32];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(ch.cp), buf, 32,
                                                 UTF8PROC_DECOMPOSE, &last);
    if (n <= 0 || n > 32) {
      tmp.push_back(ch);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) tmp.push_back(NChar{static_cast<char32_t>(buf[k]), ch.begin, ch.end});
  }
  // canonical ordering: stable sort each run of non-starters by combining class
  size_t i = 0;
  while (i < tmp.size()) {
    auto ccc = [](char32_t c) { return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class; };
    if (ccc(tmp[i].cp) == 0) { ++i; continue; }
    size_t j = i;
    while (j < tmp.size() && ccc(tmp[j].cp) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(tmp.begin() + i, tmp.begin() + j, [&](const NChar& a, const NChar& b) { return ccc(a.cp) < ccc(b.cp); });
    i = j;
  }
  raw.clear();
  for (const NChar& ch : tmp) {
    if (utf8proc_category(static_cast<utf8proc_int32_t>(ch.cp)) == UTF8PROC_CATEGORY_MN) continue;
    if (is_punctuation(ch.cp)) {
      if (!raw.empty()) emit(raw);
      raw.clear();
      raw.push_back(ch);
      emit(raw);
      raw.clear();
    } else {
      raw.push_back(ch);
    }
  }
  if (!raw.empty()) emit(raw);
  raw.clear();
}

// Runs the GPT-1 fallback pre-tokenizer over valid UTF-8; `bmap`/`emap` (may be null) map
// positions of `text` to original offsets. Calls emit(vector<NChar>&) per word.
template <class Emit>
void gpt1_pretokenize(std::string_view text, const std::vector<int64_t>* bmap, const std::vector<int64_t>* emap,
                      Emit&& emit) {
  std::vector<NChar> raw, tmp;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    char32_t cp = utf8_next(text, i);
    int64_t b = bmap ? (*bmap)[start] : static_cast<int64_t>(start);
    int64_t e = emap ? (*emap)[i] : static_cast<int64_t>(i);
    char32_t lowered[2];
    int nl = 1;
    if (cp == 0x130) {  // Python: "İ".lower() == "i̇" (SpecialCasing)
      lowered[0] = 'i';
      lowered[1] = 0x307;
      nl = 2;
    } else {
      lowered[0] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
    }
    for (int k = 0; k < nl; ++k) {
      char32_t c = lowered[k];
      if (c == 0 || c == 0xFFFD || is_control(c)) continue;
      if (is_bert_whitespace(c)) c = ' ';
      if (is_cjk(c)) {
        finish_word(raw, tmp, emit);
        raw.push_back(NChar{c, b, e});
        finish_word(raw, tmp, emit);
      } else if (py_isspace(c)) {
        finish_word(raw, tmp, emit);
      } else {
        raw.push_back(NChar{c, b, e});
      }
    }
  }
  finish_word(raw, tmp, emit);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// BpeTokenizer (GPT-1)

struct BpeTokenizer::Cache {
  bpe_detail::WordCache<std::vector<BpeModel::Span>> words;
};

BpeTokenizer::BpeTokenizer(const std::string& vocab_json_path, const std::string& merges_txt_path,
                           BpeTokenizerOptions options)
    : model_(read_bpe_vocab_json(vocab_json_path), read_bpe_merges_txt(merges_txt_path),
             vocab_json_path + " + " + merges_txt_path),
      options_(std::move(options)) {
  init();
}

BpeTokenizer::BpeTokenizer(BpeVocab vocab, const std::vector<BpeMerge>& merges, BpeTokenizerOptions options,
                           std::string source)
    : model_(std::move(vocab), merges, std::move(source)), options_(std::move(options)) {
  init();
}

BpeTokenizer::~BpeTokenizer() = default;

void BpeTokenizer::init() {
  unk_id_ = model_.token_to_id(options_.unk_token);
  cache_ = std::make_unique<Cache>();
}

std::string BpeTokenizer::normalize(std::string_view text) {
  std::string fixed;
  if (!utf8_is_valid(text)) {
    fixed = utf8_replace_invalid(text);
    text = fixed;
  }
  std::string out;
  gpt1_pretokenize(text, nullptr, nullptr, [&](const std::vector<NChar>& word) {
    if (!out.empty()) out.push_back(' ');
    for (const NChar& c : word) utf8_append(out, c.cp);
  });
  return out;
}

std::vector<Piece> BpeTokenizer::tokenize(std::string_view text) const {
  std::string fixed;
  std::vector<int64_t> bmap, emap;
  bool remap = !utf8_is_valid(text);
  if (remap) {
    fixed = utf8_replace_invalid(text, &bmap, &emap);
    text = fixed;
  }
  std::vector<Piece> pieces;
  std::vector<int32_t> units;
  std::vector<std::string> unit_str;
  std::vector<BpeModel::Span> spans;
  std::string word;
  const std::string& eow = options_.end_of_word_suffix;
  gpt1_pretokenize(text, remap ? &bmap : nullptr, remap ? &emap : nullptr, [&](const std::vector<NChar>& chars) {
    int32_t n = static_cast<int32_t>(chars.size());
    word.clear();
    for (const NChar& c : chars) utf8_append(word, c.cp);
    unit_str.resize(n);
    for (int32_t k = 0; k < n; ++k) {
      unit_str[k].clear();
      utf8_append(unit_str[k], chars[k].cp);
    }
    unit_str[n - 1] += eow;
    spans.clear();
    bool hit = cache_->words.visit(word, [&](const std::vector<BpeModel::Span>& v) { spans = v; });
    if (!hit) {
      units.resize(n);
      for (int32_t k = 0; k < n; ++k) units[k] = model_.symbol_id(unit_str[k]);
      model_.merge(units.data(), n, spans);
      cache_->words.put(word, spans);
    }
    for (const auto& s : spans) {
      Piece p;
      int32_t id;
      if (s.symbol >= 0) {
        p.token = model_.symbol(s.symbol);
        id = model_.symbol_vocab_id(s.symbol);
      } else {
        for (int32_t k = s.unit_begin; k < s.unit_end; ++k) p.token += unit_str[k];
        id = model_.token_to_id(p.token);
      }
      if (id < 0) {
        if (unk_id_ < 0)
          nlp::fail(model_.source(), "piece '" + p.token + "' is not in the vocabulary and neither is unk_token '" +
                                         options_.unk_token + "'");
        id = unk_id_;
      }
      p.id = id;
      p.begin = chars[s.unit_begin].begin;
      p.end = chars[s.unit_begin].end;
      for (int32_t k = s.unit_begin; k < s.unit_end; ++k) {
        p.begin = std::min(p.begin, chars[k].begin);
        p.end = std::max(p.end, chars[k].end);
      }
      pieces.push_back(std::move(p));
    }
  });
  return pieces;
}

std::string BpeTokenizer::tokens_to_string(const std::vector<std::string>& tokens) const {
  std::string joined;
  for (const auto& t : tokens) joined += t;
  const std::string& eow = options_.end_of_word_suffix;
  if (!eow.empty()) {
    std::string replaced;
    size_t pos = 0;
    while (true) {
      size_t f = joined.find(eow, pos);
      if (f == std::string::npos) break;
      replaced.append(joined, pos, f - pos);
      replaced.push_back(' ');
      pos = f + eow.size();
    }
    replaced.append(joined, pos, std::string::npos);
    joined.swap(replaced);
  }
  std::string fixed;
  std::string_view v = joined;
  if (!utf8_is_valid(v)) {
    fixed = utf8_replace_invalid(v);
    v = fixed;
  }
  return std::string(py_strip(v));
}

}  // namespace nlp::tok
