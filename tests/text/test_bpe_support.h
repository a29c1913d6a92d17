// Test helpers for the BPE tokenizer tests: reading the Hugging Face reference fixtures,
// splitting special tokens off the text the way transformers 4.31 PreTrainedTokenizer.tokenize
// does (the real implementation is the generic tokenizer layer; this is a small local stand-in
// so the BPE cores can be checked against every fixture line), and HF's clean_up_tokenization.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "nlp/tokenizers/bpe.h"
#include "support/shared.h"

namespace nlp::test::bpe {

struct EncodeLine {
  int i = 0;
  std::string text;
  std::vector<std::string> tokens;
  std::vector<int32_t> ids, input_ids;
  std::string decoded;
};

inline std::vector<EncodeLine> read_encode_jsonl(const std::string& fixture) {
  std::string path = shared_path("fixtures/tokenizers/" + fixture + "/encode.jsonl");
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<EncodeLine> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    EncodeLine r;
    r.i = j.at("i").get<int>();
    r.text = j.at("text").get<std::string>();
    r.tokens = j.at("tokens").get<std::vector<std::string>>();
    r.ids = j.at("ids").get<std::vector<int32_t>>();
    r.input_ids = j.at("input_ids").get<std::vector<int32_t>>();
    r.decoded = j.at("decoded").get<std::string>();
    rows.push_back(std::move(r));
  }
  REQUIRE(rows.size() == 200);
  return rows;
}

// A special token and whether it eats whitespace on its left / right (AddedToken lstrip/rstrip;
// plain-string special tokens strip both sides in transformers 4.31).
struct Special {
  std::string token;
  bool lstrip = false, rstrip = false;
};

// A piece of the text: either a special token or plain text, with its byte offset.
struct Segment {
  std::string_view text;
  int64_t offset = 0;
  bool special = false;
};

inline bool is_space_at(std::string_view s, size_t i, size_t& len) {
  size_t k = i;
  char32_t c = nlp::tok::bpe_detail::utf8_next(s, k);
  len = k - i;
  return nlp::tok::bpe_detail::py_isspace(c);
}

inline std::vector<Segment> split_specials(std::string_view text, const std::vector<Special>& specials) {
  std::vector<Segment> segs;
  std::vector<const Special*> which;
  size_t pos = 0, last = 0;
  while (pos < text.size()) {
    const Special* best = nullptr;
    for (const auto& sp : specials)
      if (text.compare(pos, sp.token.size(), sp.token) == 0 && (!best || sp.token.size() > best->token.size()))
        best = &sp;
    if (!best) { ++pos; continue; }
    if (pos > last) { segs.push_back({text.substr(last, pos - last), (int64_t)last, false}); which.push_back(nullptr); }
    segs.push_back({text.substr(pos, best->token.size()), (int64_t)pos, true});
    which.push_back(best);
    pos += best->token.size();
    last = pos;
  }
  if (last < text.size()) { segs.push_back({text.substr(last), (int64_t)last, false}); which.push_back(nullptr); }
  for (size_t i = 0; i < segs.size(); ++i) {
    if (!which[i]) continue;
    if (which[i]->rstrip && i + 1 < segs.size() && !segs[i + 1].special) {  // right.lstrip()
      Segment& r = segs[i + 1];
      size_t len;
      while (!r.text.empty() && is_space_at(r.text, 0, len)) { r.text.remove_prefix(len); r.offset += len; }
    }
    if (which[i]->lstrip && i > 0 && !segs[i - 1].special) {  // left.rstrip()
      Segment& l = segs[i - 1];
      while (!l.text.empty()) {
        size_t st = l.text.size() - 1;
        while (st > 0 && (static_cast<unsigned char>(l.text[st]) & 0xC0) == 0x80) --st;
        size_t len;
        if (!is_space_at(l.text, st, len)) break;
        l.text.remove_suffix(l.text.size() - st);
      }
    }
  }
  return segs;
}

// transformers' clean_up_tokenization.
inline std::string clean_up(std::string s) {
  auto rep = [&](const std::string& a, const std::string& b) {
    std::string out;
    size_t pos = 0;
    while (true) {
      size_t f = s.find(a, pos);
      if (f == std::string::npos) break;
      out.append(s, pos, f - pos);
      out += b;
      pos = f + a.size();
    }
    out.append(s, pos, std::string::npos);
    s.swap(out);
  };
  rep(" .", ".");
  rep(" ?", "?");
  rep(" !", "!");
  rep(" ,", ",");
  rep(" ' ", "'");
  rep(" n't", "n't");
  rep(" 'm", "'m");
  rep(" 's", "'s");
  rep(" 've", "'ve");
  rep(" 're", "'re");
  return s;
}

// Tokenizes `text` like HF tokenize(): special tokens whole, the rest through `tok`.
// Offsets are shifted to positions in `text`.
inline std::vector<nlp::tok::Piece> tokenize_with_specials(const nlp::tok::SubwordTokenizer& tok,
                                                           std::string_view text,
                                                           const std::vector<Special>& specials,
                                                           std::vector<bool>* is_special = nullptr) {
  std::vector<nlp::tok::Piece> out;
  for (const Segment& seg : split_specials(text, specials)) {
    if (seg.special) {
      nlp::tok::Piece p{std::string(seg.text), tok.token_to_id(seg.text), seg.offset, seg.offset + (int64_t)seg.text.size()};
      out.push_back(p);
      if (is_special) is_special->push_back(true);
      continue;
    }
    if (seg.text.empty()) continue;
    for (auto p : tok.tokenize(seg.text)) {
      p.begin += seg.offset;
      p.end += seg.offset;
      out.push_back(std::move(p));
      if (is_special) is_special->push_back(false);
    }
  }
  return out;
}

}  // namespace nlp::test::bpe
