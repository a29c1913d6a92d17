#include "nlp/tokenizers/tokenizer.h"

#include <algorithm>
#include <thread>

#include "nlp/tokenizers/unicode.h"
#include "nlp/util/error.h"

namespace nlp::tok {

Truncation parse_truncation(const std::string& s, const std::string& where) {
  if (s == "longest_first" || s == "true") return Truncation::LongestFirst;
  if (s == "only_first") return Truncation::OnlyFirst;
  if (s == "only_second") return Truncation::OnlySecond;
  if (s == "do_not_truncate" || s == "false") return Truncation::DoNotTruncate;
  fail(where, "expected one of longest_first, only_first, only_second, do_not_truncate but got '" + s + "'");
}

const char* to_string(Truncation t) {
  switch (t) {
    case Truncation::LongestFirst: return "longest_first";
    case Truncation::OnlyFirst: return "only_first";
    case Truncation::OnlySecond: return "only_second";
    default: return "do_not_truncate";
  }
}

Family parse_family(const std::string& s, const std::string& where) {
  if (s == "bert") return Family::Bert;
  if (s == "albert") return Family::Albert;
  if (s == "roberta") return Family::Roberta;
  if (s == "gpt2") return Family::Gpt2;
  if (s == "gpt1" || s == "openai-gpt") return Family::Gpt1;
  fail(where, "expected one of bert, albert, roberta, gpt2, gpt1 but got '" + s + "'");
}

const char* to_string(Family f) {
  switch (f) {
    case Family::Bert: return "bert";
    case Family::Albert: return "albert";
    case Family::Roberta: return "roberta";
    case Family::Gpt2: return "gpt2";
    default: return "gpt1";
  }
}

std::string clean_up_tokenization(std::string s) {
  static const std::pair<const char*, const char*> rules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},   {" ,", ","},   {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : rules) {
    const std::string f(from), t(to);
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (true) {
      size_t j = s.find(f, i);
      if (j == std::string::npos) {
        out.append(s, i, std::string::npos);
        break;
      }
      out.append(s, i, j - i);
      out += t;
      i = j + f.size();
    }
    s.swap(out);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------

Tokenizer::Tokenizer(std::shared_ptr<const SubwordTokenizer> model, TokenizerConfig config)
    : model_(std::move(model)), cfg_(std::move(config)) {
  if (!model_) fail("Tokenizer", "no subword model given");
  for (const AddedToken& t : cfg_.added_tokens) add_token(t);
  // Special tokens from the map, with the family's default whitespace rules (transformers
  // wraps some as AddedToken(lstrip/rstrip); plain strings strip both sides).
  auto add_special = [&](const std::string& s, bool is_mask) {
    if (s.empty()) return;
    for (const AddedToken& a : added_)
      if (a.content == s) return;
    AddedToken t;
    t.content = s;
    t.special = true;
    switch (cfg_.family) {
      case Family::Roberta: t.lstrip = is_mask; t.rstrip = false; break;
      case Family::Gpt2: t.lstrip = t.rstrip = false; break;
      case Family::Albert: t.lstrip = true; t.rstrip = !is_mask; break;
      default: t.lstrip = t.rstrip = true; break;
    }
    t.id = model_->token_to_id(s);
    add_token(t);
  };
  const SpecialTokens& sp = cfg_.special;
  add_special(sp.bos_token, false);
  add_special(sp.eos_token, false);
  add_special(sp.unk_token, false);
  add_special(sp.sep_token, false);
  add_special(sp.pad_token, false);
  add_special(sp.cls_token, false);
  add_special(sp.mask_token, true);
  for (const auto& s : sp.additional_special_tokens) add_special(s, false);
  unk_id_ = special_id(sp.unk_token);
  pad_id_ = special_id(sp.pad_token);
  cls_id_ = special_id(sp.cls_token);
  sep_id_ = special_id(sp.sep_token);
  mask_id_ = special_id(sp.mask_token);
  bos_id_ = special_id(sp.bos_token);
  eos_id_ = special_id(sp.eos_token);
  const char* fam = to_string(cfg_.family);
  if (cfg_.family == Family::Bert || cfg_.family == Family::Albert) {
    if (cls_id_ < 0) fail("tokenizer", std::string(fam) + " template needs cls_token, which is not set");
    if (sep_id_ < 0) fail("tokenizer", std::string(fam) + " template needs sep_token, which is not set");
  }
  if (cfg_.family == Family::Roberta) {
    if (cls_id_ < 0 || sep_id_ < 0) fail("tokenizer", "roberta template needs cls_token and sep_token (<s>, </s>)");
  }
  for (const AddedToken& a : added_)
    if (a.special) special_ids_.push_back(a.id);
  std::sort(special_ids_.begin(), special_ids_.end());
  special_ids_.erase(std::unique(special_ids_.begin(), special_ids_.end()), special_ids_.end());
}

void Tokenizer::add_token(const AddedToken& t0) {
  if (t0.content.empty()) fail("tokenizer", "an added token has empty content");
  AddedToken t = t0;
  if (t.id < 0) t.id = model_->token_to_id(t.content);
  if (t.id < 0) t.id = vocab_size();
  for (AddedToken& a : added_)
    if (a.content == t.content) {
      a = t;
      return;
    }
  if (model_->token_to_id(t.content) < 0 || t.id != model_->token_to_id(t.content)) {
    // Beyond the model vocabulary: remember id -> content.
    if (t.id >= model_->vocab_size()) {
      size_t k = size_t(t.id - model_->vocab_size());
      if (added_by_id_.size() <= k) added_by_id_.resize(k + 1);
      added_by_id_[k] = t.content;
    }
  }
  added_.push_back(t);
  std::stable_sort(added_.begin(), added_.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

int64_t Tokenizer::special_id(const std::string& tok) const {
  if (tok.empty()) return -1;
  return token_to_id(tok);
}

int64_t Tokenizer::token_to_id(std::string_view token) const {
  for (const AddedToken& a : added_)
    if (a.content == token) return a.id;
  return model_->token_to_id(token);
}

std::string Tokenizer::id_to_token(int64_t id) const {
  if (id >= model_->vocab_size()) {
    size_t k = size_t(id - model_->vocab_size());
    if (k < added_by_id_.size() && !added_by_id_[k].empty()) return added_by_id_[k];
  }
  for (const AddedToken& a : added_)
    if (a.id == id) return a.content;
  if (id < 0 || id > INT32_MAX) fail("tokenizer", "id " + std::to_string(id) + " is out of range");
  return model_->id_to_token(int32_t(id));
}

int64_t Tokenizer::vocab_size() const {
  int64_t n = model_->vocab_size();
  for (const AddedToken& a : added_)
    if (model_->token_to_id(a.content) < 0) ++n;
  return n;
}

bool Tokenizer::is_special_id(int64_t id) const {
  return std::binary_search(special_ids_.begin(), special_ids_.end(), id);
}

void Tokenizer::set_gpt1_task_tokens(const std::string& start, const std::string& delimiter,
                                     const std::string& classify) {
  for (const std::string& s : {start, delimiter, classify}) {
    if (token_to_id(s) >= 0) continue;
    AddedToken t;
    t.content = s;
    t.special = true;
    t.lstrip = t.rstrip = true;
    add_token(t);
  }
  start_id_ = token_to_id(start);
  delim_id_ = token_to_id(delimiter);
  classify_id_ = token_to_id(classify);
  for (int64_t id : {start_id_, delim_id_, classify_id_}) special_ids_.push_back(id);
  std::sort(special_ids_.begin(), special_ids_.end());
  special_ids_.erase(std::unique(special_ids_.begin(), special_ids_.end()), special_ids_.end());
  gpt1_task_ = true;
}

// ---- tokenize -----------------------------------------------------------------------------

namespace {

bool ascii_ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x + 32);
    if (y >= 'A' && y <= 'Z') y = char(y + 32);
    if (x != y) return false;
  }
  return true;
}

// Python str.lstrip()/rstrip() on a byte range of `text`.
size_t skip_space_forward(std::string_view text, size_t b, size_t e) {
  while (b < e) {
    size_t len;
    char32_t cp = decode_utf8(text, b, len);
    if (!python_isspace(cp)) break;
    b += len;
  }
  return b;
}
size_t skip_space_backward(std::string_view text, size_t b, size_t e) {
  while (e > b) {
    size_t k = e - 1;
    while (k > b && (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80 && e - k < 4) --k;
    size_t len;
    char32_t cp = decode_utf8(text, k, len);
    if (k + len != e) {  // not a whole character: treat the last byte alone
      k = e - 1;
      cp = decode_utf8(text, k, len);
    }
    if (!python_isspace(cp)) break;
    e = k;
  }
  return e;
}

// Incremental byte -> code point index conversion (linear for non-decreasing queries).
// `pos` is always the start of character number `chars`.
struct CharCounter {
  std::string_view text;
  size_t pos = 0;
  int64_t chars = 0;
  size_t len_at(size_t p) const {
    size_t len = 1;
    if (static_cast<unsigned char>(text[p]) >= 0x80) decode_utf8(text, p, len);
    return len;
  }
  void seek(size_t p) {
    if (p < pos) pos = 0, chars = 0;
    while (pos < text.size()) {
      size_t len = len_at(pos);
      if (pos + len > p) break;
      pos += len;
      ++chars;
    }
  }
  // Index of the character containing byte p (a piece may start inside a multi-byte character).
  int64_t floor_at(size_t p) {
    seek(p);
    return chars;
  }
  // Number of characters that start before byte p.
  int64_t ceil_at(size_t p) {
    seek(p);
    return (p == pos || pos >= text.size()) ? chars : chars + 1;
  }
};

}  // namespace

Tokenizer::Seq Tokenizer::tokenize_seq(std::string_view text) const {
  struct Seg {
    size_t b, e;
    const AddedToken* tok;
  };
  std::vector<Seg> segs;
  if (added_.empty()) {
    segs.push_back({0, text.size(), nullptr});
  } else {
    size_t last = 0, i = 0;
    while (i < text.size()) {
      const AddedToken* hit = nullptr;
      for (const AddedToken& a : added_) {  // longest first
        if (a.content.size() > text.size() - i) continue;
        if (a.content[0] != text[i] && !(cfg_.do_lower_case && !a.special)) continue;
        std::string_view cand = text.substr(i, a.content.size());
        if (cand == a.content || (cfg_.do_lower_case && !a.special && ascii_ieq(cand, a.content))) {
          hit = &a;
          break;
        }
      }
      if (!hit) {
        ++i;
        continue;
      }
      if (i > last) segs.push_back({last, i, nullptr});
      segs.push_back({i, i + hit->content.size(), hit});
      i += hit->content.size();
      last = i;
    }
    if (last < text.size()) segs.push_back({last, text.size(), nullptr});
    for (size_t k = 0; k < segs.size(); ++k) {
      if (!segs[k].tok) continue;
      if (segs[k].tok->rstrip && k + 1 < segs.size() && !segs[k + 1].tok)
        segs[k + 1].b = skip_space_forward(text, segs[k + 1].b, segs[k + 1].e);
      if (segs[k].tok->lstrip && k > 0 && !segs[k - 1].tok)
        segs[k - 1].e = skip_space_backward(text, segs[k - 1].b, segs[k - 1].e);
    }
  }
  // add_prefix_space: the first text segment is tokenised with a space in front (offsets of the
  // synthetic space collapse to 0); when the text starts with an added token, the space is a
  // segment of its own unless that token strips whitespace on its left.
  bool prefix = cfg_.add_prefix_space;
  if (prefix && cfg_.prefix_space_only_if_missing) {
    size_t len = 0;
    prefix = !text.empty() && !python_isspace(decode_utf8(text, 0, len));
  }
  if (prefix && !segs.empty() && segs[0].tok && segs[0].tok->lstrip) prefix = false;
  Seq out;
  int32_t word_base = 0;
  for (const Seg& s : segs) {
    if (prefix && (s.tok || s.b < s.e)) {
      prefix = false;
      std::string chunk = " ";
      if (!s.tok) chunk.append(text.substr(s.b, s.e - s.b));
      std::vector<Piece> ps = model_->tokenize(chunk);
      int32_t max_word = -1;
      for (Piece& p : ps) {
        p.begin = std::max<int64_t>(0, p.begin - 1) + int64_t(s.b);
        p.end = std::max<int64_t>(0, p.end - 1) + int64_t(s.b);
        if (p.word < 0) p.word = 0;
        max_word = std::max(max_word, p.word);
        p.word += word_base;
        out.pieces.push_back(std::move(p));
      }
      word_base += max_word + 1;
      if (!s.tok) continue;
    }
    if (s.b >= s.e) continue;
    if (s.tok) {
      Piece p;
      p.token = s.tok->content;
      p.id = s.tok->id;
      p.begin = int64_t(s.b);
      p.end = int64_t(s.e);
      p.word = word_base++;
      out.pieces.push_back(std::move(p));
      continue;
    }
    std::vector<Piece> ps = model_->tokenize(text.substr(s.b, s.e - s.b));
    int32_t max_word = -1;
    int64_t prev_end = -1;
    int32_t fallback_word = -1;
    for (Piece& p : ps) {
      p.begin += int64_t(s.b);
      p.end += int64_t(s.b);
      if (p.word >= 0) {
        max_word = std::max(max_word, p.word);
        p.word += word_base;
      } else {
        if (p.begin != prev_end || fallback_word < 0) ++fallback_word;
        max_word = std::max(max_word, fallback_word);
        p.word = word_base + fallback_word;
      }
      prev_end = p.end;
      out.pieces.push_back(std::move(p));
    }
    word_base += max_word + 1;
  }
  // character offsets
  CharCounter cc{text};
  out.char_begin.resize(out.pieces.size());
  out.char_end.resize(out.pieces.size());
  for (size_t k = 0; k < out.pieces.size(); ++k) {
    out.char_begin[k] = cc.floor_at(size_t(out.pieces[k].begin));
    out.char_end[k] = cc.ceil_at(size_t(out.pieces[k].end));
  }
  return out;
}

std::vector<Piece> Tokenizer::tokenize(std::string_view text) const { return tokenize_seq(text).pieces; }

// ---- templates ----------------------------------------------------------------------------

int64_t Tokenizer::num_special_tokens_to_add(bool pair) const {
  if (gpt1_task_) return pair ? 3 : 2;
  switch (cfg_.family) {
    case Family::Bert:
    case Family::Albert: return pair ? 3 : 2;
    case Family::Roberta: return pair ? 4 : 2;
    default: return 0;
  }
}

std::vector<int64_t> Tokenizer::build_inputs_with_special_tokens(const std::vector<int64_t>& a,
                                                                 const std::vector<int64_t>* b) const {
  std::vector<int64_t> out;
  auto app = [&](const std::vector<int64_t>& v) { out.insert(out.end(), v.begin(), v.end()); };
  if (gpt1_task_) {
    out.push_back(start_id_);
    app(a);
    if (b) {
      out.push_back(delim_id_);
      app(*b);
    }
    out.push_back(classify_id_);
    return out;
  }
  switch (cfg_.family) {
    case Family::Bert:
    case Family::Albert:
      out.push_back(cls_id_);
      app(a);
      out.push_back(sep_id_);
      if (b) {
        app(*b);
        out.push_back(sep_id_);
      }
      break;
    case Family::Roberta:
      out.push_back(cls_id_);
      app(a);
      out.push_back(sep_id_);
      if (b) {
        out.push_back(sep_id_);
        app(*b);
        out.push_back(sep_id_);
      }
      break;
    default:
      app(a);
      if (b) app(*b);
  }
  return out;
}

Encoding Tokenizer::assemble(const Seq* a, size_t a0, size_t a1, const Seq* b, size_t b0, size_t b1,
                             bool specials) const {
  Encoding e;
  const size_t n = (a1 - a0) + (b ? b1 - b0 : 0) + (specials ? size_t(num_special_tokens_to_add(b != nullptr)) : 0);
  e.tokens.reserve(n);
  e.input_ids.reserve(n);
  e.token_type_ids.reserve(n);
  e.special_tokens_mask.reserve(n);
  e.offsets.reserve(n);
  e.char_offsets.reserve(n);
  e.word_ids.reserve(n);
  e.sequence_ids.reserve(n);
  auto special = [&](int64_t id, int64_t type) {
    e.tokens.push_back(id_to_token(id));
    e.input_ids.push_back(id);
    e.token_type_ids.push_back(type);
    e.special_tokens_mask.push_back(1);
    e.offsets.push_back({0, 0});
    e.char_offsets.push_back({0, 0});
    e.word_ids.push_back(-1);
    e.sequence_ids.push_back(-1);
  };
  auto seq = [&](const Seq& s, size_t from, size_t to, int64_t type, int64_t seq_id) {
    for (size_t k = from; k < to; ++k) {
      const Piece& p = s.pieces[k];
      e.tokens.push_back(p.token);
      e.input_ids.push_back(p.id);
      e.token_type_ids.push_back(type);
      e.special_tokens_mask.push_back(0);
      e.offsets.push_back({p.begin, p.end});
      e.char_offsets.push_back({s.char_begin[k], s.char_end[k]});
      e.word_ids.push_back(p.word);
      e.sequence_ids.push_back(seq_id);
    }
  };
  if (!specials) {
    seq(*a, a0, a1, 0, 0);
    if (b) seq(*b, b0, b1, 0, 1);
  } else if (gpt1_task_) {
    special(start_id_, 0);
    seq(*a, a0, a1, 0, 0);
    if (b) {
      special(delim_id_, 0);
      seq(*b, b0, b1, 1, 1);
    }
    special(classify_id_, b ? 1 : 0);
  } else {
    switch (cfg_.family) {
      case Family::Bert:
      case Family::Albert:
        special(cls_id_, 0);
        seq(*a, a0, a1, 0, 0);
        special(sep_id_, 0);
        if (b) {
          seq(*b, b0, b1, 1, 1);
          special(sep_id_, 1);
        }
        break;
      case Family::Roberta:
        special(cls_id_, 0);
        seq(*a, a0, a1, 0, 0);
        special(sep_id_, 0);
        if (b) {
          special(sep_id_, 0);
          seq(*b, b0, b1, 0, 1);
          special(sep_id_, 0);
        }
        break;
      default:
        seq(*a, a0, a1, 0, 0);
        if (b) seq(*b, b0, b1, 1, 1);
    }
  }
  e.attention_mask.assign(e.input_ids.size(), 1);
  return e;
}

// ---- encode -------------------------------------------------------------------------------

void Tokenizer::pad(Encoding& e, int64_t length) const {
  const int64_t n = int64_t(e.input_ids.size());
  if (n >= length) return;
  if (pad_id_ < 0) fail("tokenizer", "padding requested but the tokenizer has no pad_token");
  const size_t k = size_t(length - n);
  const std::string pad_tok = id_to_token(pad_id_);
  auto grow = [&](auto& v, const auto& value) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    if (cfg_.padding_left) v.insert(v.begin(), k, T(value));
    else v.insert(v.end(), k, T(value));
  };
  grow(e.tokens, pad_tok);
  grow(e.input_ids, pad_id_);
  grow(e.token_type_ids, cfg_.pad_token_type_id);
  grow(e.attention_mask, 0);
  grow(e.special_tokens_mask, 1);
  grow(e.offsets, std::pair<int64_t, int64_t>(0, 0));
  grow(e.char_offsets, std::pair<int64_t, int64_t>(0, 0));
  grow(e.word_ids, -1);
  grow(e.sequence_ids, -1);
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& opts) const {
  return encode_impl(text, nullptr, opts);
}

Encoding Tokenizer::encode(std::string_view text, std::string_view text_pair, const EncodeOptions& opts) const {
  return encode_impl(text, &text_pair, opts);
}

Encoding Tokenizer::encode_impl(std::string_view text, const std::string_view* pair, const EncodeOptions& opts) const {
  Seq A = tokenize_seq(text);
  Seq B;
  if (pair) B = tokenize_seq(*pair);
  const Seq* pb = pair ? &B : nullptr;
  size_t la = A.pieces.size(), lb = pair ? B.pieces.size() : 0;
  int64_t max_len = opts.max_length >= 0 ? opts.max_length : cfg_.model_max_length;
  const int64_t n_special = opts.add_special_tokens ? num_special_tokens_to_add(pair != nullptr) : 0;
  const int64_t total = int64_t(la + lb) + n_special;
  const bool truncate = opts.truncation != Truncation::DoNotTruncate && max_len > 0 && total > max_len;

  // Windows: [a0, a1) x [b0, b1) per encoding.
  struct Win {
    size_t a0, a1, b0, b1;
  };
  std::vector<Win> wins;
  if (!truncate) {
    wins.push_back({0, la, 0, lb});
  } else if (!opts.return_overflowing_tokens) {
    // transformers truncate_sequences (slow tokenizer) rules.
    size_t remove = size_t(total - max_len);
    size_t a1 = la, b1 = lb;
    Truncation t = opts.truncation;
    if (t == Truncation::OnlyFirst || (t == Truncation::LongestFirst && !pair)) {
      if (la > remove) a1 = la - remove;  // else: transformers logs an error and keeps all
    } else if (t == Truncation::LongestFirst) {
      for (size_t r = 0; r < remove; ++r) {
        if (a1 > b1) --a1;
        else if (b1 > 0) --b1;
        else if (a1 > 0) --a1;
      }
    } else if (t == Truncation::OnlySecond && pair) {
      if (lb > remove) b1 = lb - remove;
    }
    wins.push_back({0, a1, 0, b1});
  } else {
    const bool window_second = opts.truncation == Truncation::OnlySecond && pair;
    if (opts.truncation == Truncation::LongestFirst && pair)
      fail("encode", "return_overflowing_tokens with truncation=longest_first on a pair is not supported; use only_first or only_second");
    if (opts.truncation == Truncation::OnlySecond && !pair) {
      wins.push_back({0, la, 0, 0});
    } else {
      const size_t len = window_second ? lb : la;
      const int64_t budget = max_len - n_special - int64_t(window_second ? la : lb);
      if (budget <= 0)
        fail("encode", "max_length " + std::to_string(max_len) + " leaves no room for the " +
                           std::string(window_second ? "second" : "first") + " sequence (other sequence " +
                           std::to_string(window_second ? la : lb) + " tokens + " + std::to_string(n_special) +
                           " special tokens)");
      const int64_t step = budget - opts.stride;
      if (step <= 0)
        fail("encode", "stride " + std::to_string(opts.stride) + " must be smaller than the " +
                           std::to_string(budget) + " tokens available per window");
      for (size_t start = 0;; start += size_t(step)) {
        size_t end = std::min(len, start + size_t(budget));
        if (window_second) wins.push_back({0, la, start, end});
        else wins.push_back({start, end, 0, lb});
        if (end == len) break;
      }
    }
  }
  auto finish = [&](Encoding& e) {
    if (opts.padding == Padding::MaxLength && max_len > 0) {
      int64_t target = max_len;
      if (opts.pad_to_multiple_of > 0 && target % opts.pad_to_multiple_of)
        target = (target / opts.pad_to_multiple_of + 1) * opts.pad_to_multiple_of;
      pad(e, target);
    } else if (opts.padding != Padding::DoNotPad && opts.pad_to_multiple_of > 0) {
      int64_t n = int64_t(e.size());
      if (n % opts.pad_to_multiple_of) pad(e, (n / opts.pad_to_multiple_of + 1) * opts.pad_to_multiple_of);
    }
  };
  Encoding main = assemble(&A, wins[0].a0, wins[0].a1, pb, wins[0].b0, wins[0].b1, opts.add_special_tokens);
  finish(main);
  for (size_t w = 1; w < wins.size(); ++w) {
    Encoding o = assemble(&A, wins[w].a0, wins[w].a1, pb, wins[w].b0, wins[w].b1, opts.add_special_tokens);
    finish(o);
    main.overflowing.push_back(std::move(o));
  }
  return main;
}

BatchEncoding Tokenizer::encode_batch(const std::vector<std::string>& texts, const std::vector<std::string>& pairs,
                                      const EncodeOptions& opts, int num_threads) const {
  if (!pairs.empty() && pairs.size() != texts.size())
    fail("encode_batch", "got " + std::to_string(texts.size()) + " texts but " + std::to_string(pairs.size()) +
                             " text pairs (expected the same number)");
  std::vector<Encoding> per(texts.size());
  auto work = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
      per[i] = pairs.empty() ? encode(texts[i], opts) : encode(texts[i], pairs[i], opts);
  };
  const size_t nt = std::max<size_t>(1, std::min<size_t>(size_t(std::max(num_threads, 1)), texts.size()));
  if (nt <= 1) {
    work(0, texts.size());
  } else {
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(nt);
    const size_t chunk = (texts.size() + nt - 1) / nt;
    for (size_t t = 0; t < nt; ++t) {
      threads.emplace_back([&, t] {
        try {
          work(t * chunk, std::min(texts.size(), (t + 1) * chunk));
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    for (auto& th : threads) th.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }
  BatchEncoding out;
  for (size_t i = 0; i < per.size(); ++i) {
    std::vector<Encoding> over = std::move(per[i].overflowing);
    per[i].overflowing.clear();
    out.encodings.push_back(std::move(per[i]));
    out.overflow_to_sample_mapping.push_back(int64_t(i));
    for (auto& o : over) {
      out.encodings.push_back(std::move(o));
      out.overflow_to_sample_mapping.push_back(int64_t(i));
    }
  }
  if (opts.padding == Padding::Longest) {
    int64_t longest = 0;
    for (const auto& e : out.encodings) longest = std::max(longest, int64_t(e.size()));
    if (opts.pad_to_multiple_of > 0 && longest % opts.pad_to_multiple_of)
      longest = (longest / opts.pad_to_multiple_of + 1) * opts.pad_to_multiple_of;
    for (auto& e : out.encodings) pad(e, longest);
  }
  return out;
}

// ---- decode -------------------------------------------------------------------------------

std::string Tokenizer::convert_tokens_to_string(const std::vector<std::string>& tokens) const {
  return model_->tokens_to_string(tokens);
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens,
                              std::optional<bool> clean_up) const {
  std::vector<std::string> sub_texts, current;
  for (int64_t id : ids) {
    if (skip_special_tokens && is_special_id(id)) continue;
    std::string tok = id_to_token(id);
    bool added_only = false;  // transformers' added_tokens_encoder: added tokens outside the vocabulary
    if (model_->token_to_id(tok) < 0) {
      for (const AddedToken& a : added_)
        if (a.content == tok) added_only = true;
    }
    if (added_only) {
      if (!current.empty()) {
        sub_texts.push_back(model_->tokens_to_string(current));
        current.clear();
      }
      sub_texts.push_back(std::move(tok));
    } else {
      current.push_back(std::move(tok));
    }
  }
  if (!current.empty()) sub_texts.push_back(model_->tokens_to_string(current));
  std::string text;
  for (size_t i = 0; i < sub_texts.size(); ++i) {
    if (i) text.push_back(' ');
    text += sub_texts[i];
  }
  if (clean_up.value_or(cfg_.clean_up_tokenization_spaces)) text = clean_up_tokenization(std::move(text));
  return text;
}

}  // namespace nlp::tok
