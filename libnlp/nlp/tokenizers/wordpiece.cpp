#include "nlp/tokenizers/wordpiece.h"

#include <algorithm>

#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tok {

WordPiece::WordPiece(std::vector<std::string> vocab, WordPieceOptions opts)
    : opts_(std::move(opts)), basic_(opts_.basic), id_to_token_(std::move(vocab)) {
  vocab_.reserve(id_to_token_.size());
  const std::string& pre = opts_.continuing_subword_prefix;
  for (size_t i = 0; i < id_to_token_.size(); ++i) {
    const std::string& t = id_to_token_[i];
    max_token_bytes_ = std::max(max_token_bytes_, t.size());
    vocab_.set(t, int32_t(i));
    if (!pre.empty() && t.size() >= pre.size() && t.compare(0, pre.size(), pre) == 0)
      continuation_.set(std::string_view(t).substr(pre.size()), int32_t(i));
  }
  unk_id_ = vocab_.find(opts_.unk_token);
  if (unk_id_ < 0) fail("WordPiece vocabulary", "unk_token '" + opts_.unk_token + "' is not in the vocabulary");
}

std::unique_ptr<WordPiece> WordPiece::from_file(const std::string& path, WordPieceOptions opts) {
  std::string data = read_file(path);
  std::vector<std::string> vocab;
  size_t i = 0;
  while (i < data.size()) {
    size_t j = data.find_first_of("\r\n", i);
    if (j == std::string::npos) {
      vocab.emplace_back(data.substr(i));
      break;
    }
    vocab.emplace_back(data.substr(i, j - i));
    i = j + ((data[j] == '\r' && j + 1 < data.size() && data[j + 1] == '\n') ? 2 : 1);
  }
  if (vocab.empty()) fail(path, "vocabulary file is empty");
  try {
    return std::make_unique<WordPiece>(std::move(vocab), std::move(opts));
  } catch (const Error& e) {
    fail(path, e.what());
  }
}

std::vector<Piece> WordPiece::tokenize(std::string_view text) const {
  thread_local UString chars;
  thread_local std::vector<std::pair<uint32_t, uint32_t>> words;
  thread_local std::vector<uint32_t> bpos;
  thread_local std::string w;
  if (opts_.do_basic_tokenize) {
    basic_.split(text, chars, words);
  } else {
    decode_utf8(text, chars);
    words.clear();
    size_t i = 0;
    while (i < chars.size()) {
      while (i < chars.size() && python_isspace(chars[i].cp)) ++i;
      size_t j = i;
      while (j < chars.size() && !python_isspace(chars[j].cp)) ++j;
      if (j > i) words.push_back({uint32_t(i), uint32_t(j)});
      i = j;
    }
  }
  std::vector<Piece> out;
  out.reserve(words.size() + words.size() / 2);
  const std::string& pre = opts_.continuing_subword_prefix;
  auto span_of = [&](uint32_t s, uint32_t e, Piece& p) {
    uint32_t b = chars[s].begin, en = chars[s].end;
    for (uint32_t k = s + 1; k < e; ++k) {
      b = std::min(b, chars[k].begin);
      en = std::max(en, chars[k].end);
    }
    p.begin = b;
    p.end = en;
  };
  for (size_t wi = 0; wi < words.size(); ++wi) {
    auto [s, e] = words[wi];
    const int32_t word = int32_t(wi);
    if (int64_t(e - s) > opts_.max_input_chars_per_word) {
      Piece p{opts_.unk_token, unk_id_, 0, 0, word};
      span_of(s, e, p);
      out.push_back(std::move(p));
      continue;
    }
    w.clear();
    bpos.clear();
    for (uint32_t k = s; k < e; ++k) {
      bpos.push_back(uint32_t(w.size()));
      append_utf8(w, chars[k].cp);
    }
    bpos.push_back(uint32_t(w.size()));
    const size_t first = out.size();
    const uint32_t n = e - s;
    uint32_t start = 0;
    bool bad = false;
    while (start < n) {
      // No vocabulary entry is longer than max_token_bytes_: skip the hopeless long candidates.
      uint32_t end = n;
      while (end > start + 1 && bpos[end] - bpos[start] > max_token_bytes_) --end;
      int32_t id = -1;
      while (start < end) {
        std::string_view sub(w.data() + bpos[start], bpos[end] - bpos[start]);
        id = start == 0 ? vocab_.find(sub) : continuation_.find(sub);
        if (id >= 0) break;
        --end;
      }
      if (id < 0) {
        bad = true;
        break;
      }
      Piece p;
      p.id = id;
      p.word = word;
      std::string_view sub(w.data() + bpos[start], bpos[end] - bpos[start]);
      if (start == 0) {
        p.token.assign(sub);
      } else {
        p.token.reserve(pre.size() + sub.size());
        p.token.assign(pre);
        p.token.append(sub);
      }
      span_of(s + start, s + end, p);
      out.push_back(std::move(p));
      start = end;
    }
    if (bad) {
      out.resize(first);
      Piece p{opts_.unk_token, unk_id_, 0, 0, word};
      span_of(s, e, p);
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::string WordPiece::tokens_to_string(const std::vector<std::string>& tokens) const {
  // " ".join(tokens).replace(" ##", "").strip()
  std::string joined;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) joined.push_back(' ');
    joined += tokens[i];
  }
  std::string out;
  out.reserve(joined.size());
  const std::string pat = " " + opts_.continuing_subword_prefix;
  size_t i = 0;
  while (i < joined.size()) {
    if (joined.compare(i, pat.size(), pat) == 0) {
      i += pat.size();
    } else {
      out.push_back(joined[i++]);
    }
  }
  // strip Python whitespace at both ends
  UString u;
  decode_utf8(out, u);
  size_t b = 0, e = u.size();
  while (b < e && python_isspace(u[b].cp)) ++b;
  while (e > b && python_isspace(u[e - 1].cp)) --e;
  if (b == e) return {};
  return out.substr(u[b].begin, u[e - 1].end - u[b].begin);
}

std::string WordPiece::id_to_token(int32_t id) const {
  if (id < 0 || size_t(id) >= id_to_token_.size())
    fail("WordPiece", "id " + std::to_string(id) + " is out of range [0, " + std::to_string(id_to_token_.size()) + ")");
  return id_to_token_[size_t(id)];
}

}  // namespace nlp::tok
