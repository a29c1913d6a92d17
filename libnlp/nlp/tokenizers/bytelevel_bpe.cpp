#define PCRE2_CODE_UNIT_WIDTH 8
#include "nlp/tokenizers/bytelevel_bpe.h"

#include <pcre2.h>

#include <algorithm>
#include <array>

#include "nlp/tokenizers/bpe_cache.h"
#include "nlp/util/error.h"

namespace nlp::tok {

using namespace bpe_detail;

namespace {

// Python `regex` \s (Unicode White_Space), spelled out for PCRE2.
#define NLP_WS R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})"
const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{L}\p{N})" NLP_WS R"(]+|[)" NLP_WS R"(]+(?![^)" NLP_WS
    R"(])|[)" NLP_WS R"(]+)";
#undef NLP_WS

// Per-thread PCRE2 match state, reused across calls (pattern-independent: sized for 1 pair).
struct MatchState {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mctx = nullptr;
  pcre2_jit_stack* stack = nullptr;
  MatchState() {
    md = pcre2_match_data_create(1, nullptr);
    mctx = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    if (mctx && stack) pcre2_jit_stack_assign(mctx, nullptr, stack);
  }
  ~MatchState() {
    if (md) pcre2_match_data_free(md);
    if (mctx) pcre2_match_context_free(mctx);
    if (stack) pcre2_jit_stack_free(stack);
  }
};

MatchState& match_state() {
  thread_local MatchState st;
  if (!st.md || !st.mctx) nlp::fail("ByteLevelBpeTokenizer", "out of memory creating PCRE2 match data");
  return st;
}

// One merged piece of a cached word.
struct Tok {
  int32_t sym;
  int32_t id;  // -1: not in vocabulary
  int32_t nbytes;
};

}  // namespace

char32_t ByteLevelBpeTokenizer::byte_to_unicode(uint8_t b) {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    int n = 0;
    for (int c = 0; c < 256; ++c) {
      bool printable = (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
      t[c] = printable ? static_cast<char32_t>(c) : static_cast<char32_t>(256 + n++);
    }
    return t;
  }();
  return table[b];
}

struct ByteLevelBpeTokenizer::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
  std::array<int32_t, 256> byte_sym{};
  std::array<int16_t, 324> unicode_to_byte{};  // -1: not a byte symbol
  WordCache<std::vector<Tok>> cache;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }

  // Calls emit(begin, end) for each pattern match over valid UTF-8 `s`.
  template <class Emit>
  void pre_tokenize(std::string_view s, Emit&& emit) const {
    MatchState& st = match_state();
    auto subj = reinterpret_cast<PCRE2_SPTR>(s.data());
    size_t len = s.size(), off = 0;
    while (off < len) {
      int rc = jit ? pcre2_jit_match(code, subj, len, off, 0, st.md, st.mctx)
                   : pcre2_match(code, subj, len, off, PCRE2_NO_UTF_CHECK, st.md, st.mctx);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(rc, buf, sizeof buf);
        nlp::fail("ByteLevelBpeTokenizer", std::string("pre-tokenizer regex failed: ") + reinterpret_cast<char*>(buf));
      }
      PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.md);
      size_t b = ov[0], e = ov[1];
      if (e <= b) {  // cannot happen with this pattern; never loop forever
        size_t k = b;
        utf8_next(s, k);
        off = k;
        continue;
      }
      emit(b, e);
      off = e;
    }
  }
};

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(const std::string& vocab_json_path, const std::string& merges_txt_path,
                                             ByteLevelBpeOptions options)
    : model_(read_bpe_vocab_json(vocab_json_path), read_bpe_merges_txt(merges_txt_path),
             vocab_json_path + " + " + merges_txt_path),
      options_(std::move(options)) {
  init();
}

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(BpeVocab vocab, const std::vector<BpeMerge>& merges,
                                             ByteLevelBpeOptions options, std::string source)
    : model_(std::move(vocab), merges, std::move(source)), options_(std::move(options)) {
  init();
}

ByteLevelBpeTokenizer::~ByteLevelBpeTokenizer() = default;

void ByteLevelBpeTokenizer::init() {
  impl_ = std::make_unique<Impl>();
  impl_->unicode_to_byte.fill(-1);
  for (int b = 0; b < 256; ++b) {
    char32_t cp = byte_to_unicode(static_cast<uint8_t>(b));
    std::string s;
    utf8_append(s, cp);
    impl_->byte_sym[b] = model_.intern(s);
    impl_->unicode_to_byte[cp] = static_cast<int16_t>(b);
  }
  model_.finalize();
  unk_id_ = model_.token_to_id(options_.unk_token);

  int err = 0;
  PCRE2_SIZE erroff = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kGpt2Pattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err,
                              &erroff, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    nlp::fail("ByteLevelBpeTokenizer", std::string("cannot compile the GPT-2 pattern: ") + reinterpret_cast<char*>(buf));
  }
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

std::vector<std::pair<int64_t, int64_t>> ByteLevelBpeTokenizer::pre_tokenize(std::string_view text) const {
  std::string fixed;
  if (!utf8_is_valid(text)) {
    fixed = utf8_replace_invalid(text);
    text = fixed;
  }
  std::vector<std::pair<int64_t, int64_t>> out;
  impl_->pre_tokenize(text, [&](size_t b, size_t e) { out.emplace_back(b, e); });
  return out;
}

std::vector<Piece> ByteLevelBpeTokenizer::tokenize(std::string_view text) const {
  // Work string: [" "] + text with invalid UTF-8 replaced; maps back to offsets of `text`.
  std::string work;
  std::vector<int64_t> bmap, emap;
  const bool remap = !utf8_is_valid(text);
  std::string fixed;
  if (remap) fixed = utf8_replace_invalid(text, &bmap, &emap);
  std::string_view clean = remap ? std::string_view(fixed) : text;
  int64_t pfx = options_.add_prefix_space ? 1 : 0;
  if (pfx && options_.prefix_space_only_if_missing) {
    size_t k = 0;
    if (clean.empty() || py_isspace(utf8_next(clean, k))) pfx = 0;
  }
  std::string_view s = clean;
  if (pfx) {
    work.reserve(clean.size() + 1);
    work.push_back(' ');
    work.append(clean.data(), clean.size());
    s = work;
  }
  auto map_begin = [&](int64_t p) -> int64_t {
    int64_t q = p - pfx;
    if (q < 0) return 0;
    return remap ? bmap[q] : q;
  };
  auto map_end = [&](int64_t p) -> int64_t {
    int64_t q = p - pfx;
    if (q <= 0) return 0;
    return remap ? emap[q] : q;
  };

  std::vector<Piece> pieces;
  pieces.reserve(s.size() / 4 + 1);
  thread_local std::vector<Tok> toks;
  thread_local std::vector<int32_t> units;
  thread_local std::vector<BpeModel::Span> spans;
  const Impl& im = *impl_;
  bool missing_unk = false;
  auto emit = [&](size_t b, const std::vector<Tok>& word_toks) {
    int64_t pos = static_cast<int64_t>(b);
    for (const Tok& t : word_toks) {
      Piece& p = pieces.emplace_back();
      p.token = model_.symbol(t.sym);
      p.id = t.id >= 0 ? t.id : unk_id_;
      missing_unk |= p.id < 0;
      p.begin = map_begin(pos);
      pos += t.nbytes;
      p.end = map_end(pos);
    }
  };
  im.pre_tokenize(s, [&](size_t b, size_t e) {
    std::string_view word = s.substr(b, e - b);
    if (im.cache.visit(word, [&](const std::vector<Tok>& v) { emit(b, v); })) return;
    int32_t n = static_cast<int32_t>(word.size());
    units.resize(n);
    for (int32_t k = 0; k < n; ++k) units[k] = im.byte_sym[static_cast<uint8_t>(word[k])];
    spans.clear();
    model_.merge(units.data(), n, spans);
    toks.clear();
    for (const auto& sp : spans)
      toks.push_back(Tok{sp.symbol, model_.symbol_vocab_id(sp.symbol), sp.unit_end - sp.unit_begin});
    im.cache.put(word, toks);
    emit(b, toks);
  });
  if (missing_unk) {
    for (const Piece& p : pieces)
      if (p.id < 0)
        nlp::fail(model_.source(), "piece '" + p.token + "' is not in the vocabulary and neither is unk_token '" +
                                       options_.unk_token + "'");
  }
  return pieces;
}

std::string ByteLevelBpeTokenizer::tokens_to_string(const std::vector<std::string>& tokens) const {
  std::string bytes;
  std::string fixed;
  for (const std::string& t : tokens) {
    std::string_view v = t;
    if (!utf8_is_valid(v)) {
      fixed = utf8_replace_invalid(v);
      v = fixed;
    }
    size_t i = 0;
    while (i < v.size()) {
      size_t start = i;
      char32_t cp = utf8_next(v, i);
      int b = cp < impl_->unicode_to_byte.size() ? impl_->unicode_to_byte[cp] : -1;
      if (b >= 0) bytes.push_back(static_cast<char>(b));
      else bytes.append(v.data() + start, i - start);
    }
  }
  if (utf8_is_valid(bytes)) return bytes;
  return utf8_replace_invalid(bytes);
}

}  // namespace nlp::tok
