// Byte-level BPE (GPT-2, RoBERTa) against the Hugging Face reference fixtures.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>
#include <random>
#include <set>
#include <string>

#include "nlp/tokenizers/bytelevel_bpe.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "test_bpe_support.h"

using namespace nlp::tok;
using namespace nlp::test::bpe;

namespace {

ByteLevelBpeTokenizer load(const std::string& name, ByteLevelBpeOptions opt = {}) {
  std::string dir = nlp::test::shared_path("fixtures/tokenizers/" + name);
  return ByteLevelBpeTokenizer(dir + "/vocab.json", dir + "/merges.txt", std::move(opt));
}

std::vector<Special> specials_of(const std::string& name) {
  if (name == "gpt2") return {{"<|endoftext|>", false, false}};
  // RobertaTokenizer: <mask> is AddedToken(lstrip=True); the others strip nothing.
  return {{"<s>"}, {"</s>"}, {"<pad>"}, {"<unk>"}, {"<mask>", true, false}};
}

// The raw bytes a byte-level token stands for.
std::string token_bytes(const std::string& token) {
  std::string out;
  size_t i = 0;
  while (i < token.size()) {
    char32_t cp = bpe_detail::utf8_next(token, i);
    int b = -1;
    for (int k = 0; k < 256; ++k)
      if (ByteLevelBpeTokenizer::byte_to_unicode(static_cast<uint8_t>(k)) == cp) b = k;
    REQUIRE(b >= 0);
    out.push_back(static_cast<char>(b));
  }
  return out;
}

// The byte-level token standing for raw bytes.
std::string bytes_token(const std::string& bytes) {
  std::string t;
  for (unsigned char b : bytes) bpe_detail::utf8_append(t, ByteLevelBpeTokenizer::byte_to_unicode(b));
  return t;
}

void check_fixture(const std::string& name) {
  auto tok = load(name, {false, name == "gpt2" ? "<|endoftext|>" : "<unk>"});
  auto rows = read_encode_jsonl(name);
  auto specials = specials_of(name);
  int checked_offsets = 0;
  for (const auto& r : rows) {
    INFO(name << " line " << r.i << ": " << r.text);
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
    // offsets: the text slice is exactly the bytes the token stands for
    for (size_t k = 0; k < pieces.size(); ++k) {
      if (special[k]) continue;
      const auto& p = pieces[k];
      REQUIRE(p.begin >= 0);
      REQUIRE(p.end <= static_cast<int64_t>(r.text.size()));
      CHECK(r.text.substr(p.begin, p.end - p.begin) == token_bytes(p.token));
      ++checked_offsets;
    }
    // decode: convert_ids_to_tokens + convert_tokens_to_string + clean_up_tokenization
    std::vector<std::string> toks;
    for (int32_t id : r.input_ids) toks.push_back(tok.id_to_token(id));
    CHECK(clean_up(tok.tokens_to_string(toks)) == r.decoded);
  }
  CHECK(checked_offsets > 1000);
}

}  // namespace

TEST_CASE("byte-level BPE matches HF GPT2Tokenizer on every fixture line", "[bpe][bytelevel]") {
  check_fixture("gpt2");
}

TEST_CASE("byte-level BPE matches HF RobertaTokenizer on every fixture line", "[bpe][bytelevel]") {
  check_fixture("roberta-base");
}

TEST_CASE("byte-level BPE basics: vocabulary access and bytes_to_unicode", "[bpe][bytelevel]") {
  auto tok = load("gpt2");
  CHECK(tok.vocab_size() == 50257);
  CHECK(tok.token_to_id("<|endoftext|>") == 50256);
  CHECK(tok.token_to_id("no such token") == -1);
  CHECK(tok.id_to_token(15496) == "Hello");
  CHECK_THROWS_AS(tok.id_to_token(50257), nlp::Error);
  CHECK_THROWS_AS(tok.id_to_token(-1), nlp::Error);
  CHECK(ByteLevelBpeTokenizer::byte_to_unicode(' ') == U'\u0120');  // "Ġ"
  CHECK(ByteLevelBpeTokenizer::byte_to_unicode('\n') == U'\u010A');  // "Ċ"
  CHECK(ByteLevelBpeTokenizer::byte_to_unicode('A') == U'A');
  // 256 distinct symbols
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) seen.insert(ByteLevelBpeTokenizer::byte_to_unicode(static_cast<uint8_t>(b)));
  CHECK(seen.size() == 256);
}

TEST_CASE("byte-level BPE add_prefix_space", "[bpe][bytelevel]") {
  auto plain = load("gpt2");
  auto pre = load("gpt2", {true});
  auto a = pre.tokenize("Hello world");
  auto b = plain.tokenize(" Hello world");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].token == b[i].token);
    CHECK(a[i].id == b[i].id);
  }
  REQUIRE(a.size() == 2);
  CHECK(a[0].token == "\xC4\xA0Hello");  // "ĠHello"
  CHECK(a[0].begin == 0);  // the synthetic space covers no bytes
  CHECK(a[0].end == 5);
  CHECK(a[1].begin == 5);
  CHECK(a[1].end == 11);
  // transformers' slow tokenizer prepends the space even to an empty text
  auto e = pre.tokenize("");
  REQUIRE(e.size() == 1);
  CHECK(e[0].token == "\xC4\xA0");
  CHECK(e[0].begin == 0);
  CHECK(e[0].end == 0);
}

TEST_CASE("byte-level BPE add_prefix_space, RobertaTokenizer flavour", "[bpe][bytelevel]") {
  ByteLevelBpeOptions opt;
  opt.add_prefix_space = true;
  opt.unk_token = "<unk>";
  opt.prefix_space_only_if_missing = true;
  auto tok = load("roberta-base", opt);
  auto plain = load("roberta-base", {false, "<unk>"});
  CHECK(tok.tokenize("").empty());  // no space added to an empty text
  auto a = tok.tokenize(" Hello");  // already starts with whitespace: unchanged
  auto b = plain.tokenize(" Hello");
  REQUIRE(a.size() == b.size());
  CHECK(a[0].token == b[0].token);
  CHECK(a[0].begin == 0);
  CHECK(a[0].end == 6);
  auto c = tok.tokenize("\tHello");
  CHECK(c[0].token == plain.tokenize("\tHello")[0].token);
  auto d = tok.tokenize("Hello");
  REQUIRE(d.size() == 1);
  CHECK(d[0].token == "\xC4\xA0Hello");
  CHECK(d[0].begin == 0);
  CHECK(d[0].end == 5);
}

TEST_CASE("byte-level BPE round-trips valid UTF-8 through tokens_to_string", "[bpe][bytelevel]") {
  auto tok = load("roberta-base", {false, "<unk>"});
  for (const auto& r : read_encode_jsonl("roberta-base")) {
    std::vector<std::string> toks;
    for (const auto& p : tok.tokenize(r.text)) toks.push_back(p.token);
    CHECK(tok.tokens_to_string(toks) == r.text);
  }
}

TEST_CASE("byte-level BPE: invalid UTF-8, NUL, empty and 1 MB inputs", "[bpe][bytelevel]") {
  auto tok = load("gpt2");
  CHECK(tok.tokenize("").empty());

  // NUL is an ordinary non-letter/non-digit character for the pattern
  std::string nul("a\0b", 3);
  auto p = tok.tokenize(nul);
  REQUIRE(p.size() == 3);
  CHECK(p[1].token == "\xC4\x80");  // byte 0 -> U+0100 "Ā"
  CHECK(p[1].begin == 1);
  CHECK(p[1].end == 2);

  // invalid UTF-8 tokenizes as Python's errors="replace" text would
  std::string bad = "ab\xFF\xC3 c\xE2\x82\xF0\x9F\x98";
  std::string replaced = "ab\xEF\xBF\xBD\xEF\xBF\xBD c\xEF\xBF\xBD\xEF\xBF\xBD";
  CHECK(bpe_detail::utf8_replace_invalid(bad) == replaced);
  auto pb = tok.tokenize(bad);
  auto pr = tok.tokenize(replaced);
  REQUIRE(pb.size() == pr.size());
  for (size_t i = 0; i < pb.size(); ++i) {
    CHECK(pb[i].token == pr[i].token);
    CHECK(pb[i].id == pr[i].id);
    CHECK(pb[i].begin <= pb[i].end);
    CHECK(pb[i].end <= static_cast<int64_t>(bad.size()));
  }
  CHECK(pb.front().begin == 0);
  CHECK(pb.back().end == static_cast<int64_t>(bad.size()));

  // decoding bytes that are not UTF-8 gives U+FFFD like Python's bytes.decode(errors="replace")
  const std::string R = "\xEF\xBF\xBD";
  CHECK(tok.tokens_to_string({bytes_token("\xE2\x82")}) == R);              // truncated char: one
  CHECK(tok.tokens_to_string({bytes_token("\xE0\x80")}) == R + R);          // overlong lead: two
  CHECK(tok.tokens_to_string({bytes_token("\xED\xA0\x80")}) == R + R + R);  // surrogate: three
  CHECK(tok.tokens_to_string({bytes_token("\xF0\x9F\x98"), bytes_token("x\xFF")}) == R + "x" + R);
  CHECK(tok.tokens_to_string({bytes_token("\xF0\x9F"), bytes_token("\x98\x80")}) == "\xF0\x9F\x98\x80");

  // 1 MB lines: one giant word, one giant whitespace run, random bytes
  for (int kind = 0; kind < 3; ++kind) {
    std::string big;
    std::mt19937 rng(7 + kind);
    for (int i = 0; i < (1 << 20); ++i) {
      if (kind == 0) big.push_back('a' + static_cast<char>(rng() % 3));
      else if (kind == 1) big.push_back(" \t\n"[rng() % 3]);
      else big.push_back(static_cast<char>(rng() & 0xFF));
    }
    auto pieces = tok.tokenize(big);
    REQUIRE(!pieces.empty());
    // pieces tile the input
    int64_t pos = 0;
    bool ok = true;
    for (const auto& q : pieces) {
      // (a U+FFFD split over pieces gives each the whole bad subpart: at most 3 bytes overlap)
      ok = ok && q.id >= 0 && q.begin >= pos - 3 && q.begin <= pos && q.end >= q.begin;
      pos = std::max(pos, q.end);
    }
    CHECK(ok);
    CHECK(pos == static_cast<int64_t>(big.size()));
    if (kind < 2) {
      std::vector<std::string> toks;
      for (const auto& q : pieces) toks.push_back(q.token);
      CHECK(tok.tokens_to_string(toks) == big);
    }
  }
}

TEST_CASE("byte-level BPE loaders report malformed files with file and line", "[bpe][bytelevel]") {
  std::string dir = nlp::test::shared_path("fixtures/tokenizers/gpt2");
  std::string tmp = std::string("/tmp/nlp_bpe_test_") + std::to_string(::getpid());
  nlp::write_file_atomic(tmp + ".merges", "#version: 0.2\n\xC4\xA0 t\nbad line here\n");
  try {
    ByteLevelBpeTokenizer t(dir + "/vocab.json", tmp + ".merges");
    FAIL("expected nlp::Error");
  } catch (const nlp::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains(tmp + ".merges:3"));
    CHECK_THAT(e.what(), Catch::Contains("two space-separated symbols"));
  }
  nlp::write_file_atomic(tmp + ".vocab", "{\"a\": 1, \"b\": \"x\"}");
  try {
    ByteLevelBpeTokenizer t(tmp + ".vocab", dir + "/merges.txt");
    FAIL("expected nlp::Error");
  } catch (const nlp::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains(tmp + ".vocab"));
    CHECK_THAT(e.what(), Catch::Contains("token 'b'"));
  }
  nlp::write_file_atomic(tmp + ".vocab", "[1, 2]");
  CHECK_THROWS_AS(ByteLevelBpeTokenizer(tmp + ".vocab", dir + "/merges.txt"), nlp::Error);
  nlp::write_file_atomic(tmp + ".vocab", "{\"a\": ");
  CHECK_THROWS_WITH(ByteLevelBpeTokenizer(tmp + ".vocab", dir + "/merges.txt"), Catch::Contains("not valid JSON"));
  CHECK_THROWS_AS(ByteLevelBpeTokenizer(tmp + ".missing", dir + "/merges.txt"), nlp::Error);
  std::remove((tmp + ".merges").c_str());
  std::remove((tmp + ".vocab").c_str());
}

TEST_CASE("byte-level BPE from in-memory vocabulary and merges", "[bpe][bytelevel]") {
  // "Ġ" = space; merges: (l,o) then (lo,w) then (Ġ,low)
  BpeVocab vocab{{"l", 0}, {"o", 1}, {"w", 2}, {"lo", 3}, {"low", 4}, {"\xC4\xA0", 5}, {"\xC4\xA0low", 6}, {"<unk>", 7}};
  std::vector<BpeMerge> merges{{"l", "o"}, {"lo", "w"}, {"\xC4\xA0", "low"}};
  ByteLevelBpeTokenizer tok(vocab, merges, {false, "<unk>"}, "test");
  auto p = tok.tokenize("low low x");
  REQUIRE(p.size() == 4);
  CHECK(p[0].token == "low");
  CHECK(p[0].id == 4);
  CHECK(p[1].token == "\xC4\xA0low");
  CHECK(p[1].id == 6);
  CHECK(p[2].token == "\xC4\xA0");
  CHECK(p[3].token == "x");
  CHECK(p[3].id == 7);  // not in the vocabulary -> unk
  ByteLevelBpeTokenizer no_unk(vocab, merges, {false, "<nope>"}, "test");
  CHECK_THROWS_WITH(no_unk.tokenize("x"), Catch::Contains("not in the vocabulary"));
  CHECK_THROWS_AS(ByteLevelBpeTokenizer(BpeVocab{}, merges), nlp::Error);
  CHECK_THROWS_AS(ByteLevelBpeTokenizer(vocab, {{"", "a"}}), nlp::Error);
}

TEST_CASE("byte-level BPE is thread-safe: concurrent calls give the single-thread result", "[bpe][bytelevel]") {
  auto tok = load("gpt2");
  std::vector<std::string> lines;
  {
    std::ifstream in(nlp::test::shared_path("data/corpus/tinyshakespeare.txt"));
    std::string l;
    while (std::getline(in, l) && lines.size() < 4000) lines.push_back(l);
  }
  std::vector<std::vector<int32_t>> expect;
  {
    auto fresh = load("gpt2");
    for (const auto& l : lines) {
      std::vector<int32_t> ids;
      for (const auto& p : fresh.tokenize(l)) ids.push_back(p.id);
      expect.push_back(ids);
    }
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = t; i < lines.size() + t; ++i) {
        size_t k = (i * 7 + t) % lines.size();
        std::vector<int32_t> ids;
        for (const auto& p : tok.tokenize(lines[k])) ids.push_back(p.id);
        if (ids != expect[k]) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(mismatches.load() == 0);
}
