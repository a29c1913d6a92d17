// GPT-1 (openai-gpt) BPE against the Hugging Face reference fixtures.
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "nlp/tokenizers/bpe.h"
#include "nlp/util/error.h"
#include "test_bpe_support.h"

using namespace nlp::tok;
using namespace nlp::test::bpe;

namespace {

BpeTokenizer load_gpt1() {
  std::string dir = nlp::test::shared_path("fixtures/tokenizers/openai-gpt");
  return BpeTokenizer(dir + "/vocab.json", dir + "/merges.txt");
}

std::string strip_eow(std::string t) {
  if (t.size() >= 4 && t.compare(t.size() - 4, 4, "</w>") == 0) t.resize(t.size() - 4);
  return t;
}

}  // namespace

TEST_CASE("GPT-1 BPE matches HF OpenAIGPTTokenizer (BasicTokenizer fallback) on every fixture line", "[bpe][gpt1]") {
  auto tok = load_gpt1();
  // "<unk>" is a plain-string special token: transformers 4.31 strips whitespace on both sides.
  std::vector<Special> specials{{"<unk>", true, true}};
  int checked_offsets = 0;
  for (const auto& r : read_encode_jsonl("openai-gpt")) {
    INFO("line " << r.i << ": " << r.text);
    std::vector<bool> special;
    auto pieces = tokenize_with_specials(tok, r.text, specials, &special);
    std::vector<std::string> tokens;
    std::vector<int32_t> ids;
    for (const auto& p : pieces) {
      tokens.push_back(p.token);
      ids.push_back(p.id);
    }
    CHECK(tokens == r.tokens);
    CHECK(ids == r.ids);
    // offsets: the normalised text slice holds the piece (a piece from a character that NFD
    // splits into several covers that whole character)
    int64_t prev_begin = 0;
    for (size_t k = 0; k < pieces.size(); ++k) {
      if (special[k]) continue;
      const auto& p = pieces[k];
      REQUIRE(p.begin >= prev_begin);
      REQUIRE(p.end > p.begin);
      REQUIRE(p.end <= static_cast<int64_t>(r.text.size()));
      prev_begin = p.begin;
      std::string slice = BpeTokenizer::normalize(r.text.substr(p.begin, p.end - p.begin));
      INFO("piece " << p.token << " slice '" << r.text.substr(p.begin, p.end - p.begin) << "'");
      CHECK(slice.find(strip_eow(p.token)) != std::string::npos);
      ++checked_offsets;
    }
    std::vector<std::string> toks;
    for (int32_t id : r.input_ids) toks.push_back(tok.id_to_token(id));
    CHECK(clean_up(tok.tokens_to_string(toks)) == r.decoded);
  }
  CHECK(checked_offsets > 1000);
}

TEST_CASE("GPT-1 BPE: words are tiled exactly by their pieces' offsets", "[bpe][gpt1]") {
  auto tok = load_gpt1();
  std::string text = "Hello, World! It's 3.14 -- naïve café.";
  auto pieces = tok.tokenize(text);
  // each word's pieces are contiguous and their concatenation is the normalised word
  std::string joined;
  for (const auto& p : pieces) joined += p.token;
  CHECK(tok.tokens_to_string({joined}) == "hello , world ! it ' s 3 . 14 - - naive cafe .");
  for (const auto& p : pieces) {
    std::string slice = text.substr(p.begin, p.end - p.begin);
    if (p.token.size() > 4 && p.token.compare(p.token.size() - 4, 4, "</w>") == 0 && slice.find('\xC3') == std::string::npos)
      CHECK(BpeTokenizer::normalize(slice).size() >= strip_eow(p.token).size());
  }
  CHECK(pieces.front().begin == 0);
  CHECK(pieces.front().end == 5);  // "hello</w>" <- "Hello"
}

TEST_CASE("GPT-1 BPE normalisation follows Python lower/NFD/BasicTokenizer", "[bpe][gpt1]") {
  // per-character lower: no final sigma; İ -> i + U+0307 (then stripped)
  CHECK(BpeTokenizer::normalize("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3") == "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83");
  CHECK(BpeTokenizer::normalize("\xC4\xB0stanbul") == "istanbul");
  // controls dropped, whitespace kinds split, CJK isolated, punctuation split
  CHECK(BpeTokenizer::normalize("a\x07" "b\xE2\x80\x8B" "c\xC2\xA0" "d\xE2\x80\xA8" "e") == "abc d e");  // BEL and U+200B (Cf) dropped, NBSP and U+2028 split
  CHECK(BpeTokenizer::normalize("x\xE4\xB8\xADy") == "x \xE4\xB8\xAD y");
  CHECK(BpeTokenizer::normalize("a.b--c") == "a . b - - c");
  CHECK(BpeTokenizer::normalize("\xEA\xB0\x81") == "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8");  // Hangul NFD
  CHECK(BpeTokenizer::normalize("").empty());
}

TEST_CASE("GPT-1 BPE: invalid UTF-8, NUL, empty and 1 MB inputs", "[bpe][gpt1]") {
  auto tok = load_gpt1();
  CHECK(tok.tokenize("").empty());
  CHECK(tok.tokenize(" \t\n ").empty());
  std::string nul("null\0char", 9);
  auto p = tok.tokenize(nul);
  REQUIRE(p.size() == 3);  // NUL is dropped: "nullchar" -> nul l char</w>
  CHECK(p[2].token == "char</w>");
  CHECK(p[2].begin == 5);
  CHECK(p[2].end == 9);
  // invalid bytes become U+FFFD, which BasicTokenizer drops; offsets stay in the original
  auto q = tok.tokenize("ab\xFF\xFE cd\xE2\x82");
  REQUIRE(q.size() == 2);
  CHECK(q[0].token == "ab</w>");
  CHECK(q[1].token == "cd</w>");
  CHECK(q[1].begin == 5);
  CHECK(q[1].end == 7);
  for (int kind = 0; kind < 2; ++kind) {
    std::string big;
    std::mt19937 rng(11 + kind);
    for (int i = 0; i < (1 << 20); ++i)
      big.push_back(kind == 0 ? static_cast<char>('a' + rng() % 4) : static_cast<char>(rng() & 0xFF));
    auto pieces = tok.tokenize(big);
    REQUIRE(!pieces.empty());
    bool ok = true;
    for (size_t i = 1; i < pieces.size(); ++i) ok = ok && pieces[i].begin >= pieces[i - 1].begin && pieces[i].id >= 0;
    CHECK(ok);
    CHECK(pieces.back().end <= static_cast<int64_t>(big.size()));
  }
}

TEST_CASE("GPT-1 BPE from in-memory vocabulary and merges; unk handling", "[bpe][gpt1]") {
  BpeVocab vocab{{"<unk>", 0}, {"l", 1}, {"o", 2}, {"w</w>", 3}, {"lo", 4}, {"low</w>", 5}};
  std::vector<BpeMerge> merges{{"l", "o"}, {"lo", "w</w>"}};
  BpeTokenizer tok(vocab, merges, {}, "test");
  auto p = tok.tokenize("LOW lox");
  REQUIRE(p.size() == 3);
  CHECK(p[0].token == "low</w>");
  CHECK(p[0].id == 5);
  CHECK(p[1].token == "lo");
  CHECK(p[1].id == 4);
  CHECK(p[2].token == "x</w>");
  CHECK(p[2].id == 0);
  CHECK(tok.tokens_to_string({"low</w>", "lo", "x</w>"}) == "low lox");
  BpeTokenizer no_unk(vocab, merges, {"<none>"}, "test");
  CHECK_THROWS_WITH(no_unk.tokenize("x"), Catch::Contains("not in the vocabulary"));
  CHECK_THROWS_AS(tok.id_to_token(6), nlp::Error);
}
