// Corpus pipeline: readers, shard cache (round trip, staleness, corruption), split, RNG.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "nlp/pretrain/corpus.h"
#include "nlp/pretrain/rng.h"
#include "nlp/util/error.h"
#include "support/shared.h"
#include "text/test_pretrain_support.h"

using namespace nlp::pretrain;
using nlp::test::ChunkTokenizer;
using nlp::test::TempDir;

namespace {

const uint64_t kFp = 0xF00D;

// Independent reading of a blank-line-separated text file: documents of non-blank lines.
std::vector<std::vector<std::string>> read_blank_line_docs(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> docs(1);
  std::string line;
  while (std::getline(in, line)) {
    bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (blank) {
      if (!docs.back().empty()) docs.emplace_back();
    } else {
      docs.back().push_back(line);
    }
  }
  if (docs.back().empty()) docs.pop_back();
  return docs;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("pretrain rng: mt19937_64 engine, portable distributions, keys", "[pretrain][rng]") {
  Rng r(5489);  // the standard's check value: the 10000th output of a default mt19937_64
  uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = r.next_u64();
  CHECK(x == 9981545732273789042ull);

  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) REQUIRE(a.uniform_below(1000) == b.uniform_below(1000));
  // uniform_below(6) is uniform: each face within 1% of 1/6 over 600k draws
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 600000; ++i) ++counts[r.uniform_below(6)];
  for (int c : counts) CHECK(std::abs(c / 600000.0 - 1.0 / 6) < 0.01 / 6 * 6);
  for (int i = 0; i < 1000; ++i) {
    int64_t v = r.uniform_int(-3, 3);
    REQUIRE(v >= -3);
    REQUIRE(v <= 3);
    double u = r.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
  }
  CHECK(mix_seed({1, 2}) != mix_seed({2, 1}));
  auto p0 = epoch_permutation(1000, 7, 0), p0b = epoch_permutation(1000, 7, 0), p1 = epoch_permutation(1000, 7, 1);
  CHECK(p0 == p0b);
  CHECK(p0 != p1);
  std::vector<uint64_t> sorted = p1;
  std::sort(sorted.begin(), sorted.end());
  for (uint64_t i = 0; i < 1000; ++i) REQUIRE(sorted[i] == i);
}

TEST_CASE("pretrain corpus: text format shard round trip on tinyshakespeare", "[pretrain][corpus]") {
  const std::string src = nlp::test::shared_path("data/corpus/tinyshakespeare.txt");
  TempDir tmp("shard_text");
  ChunkTokenizer tok;
  const std::string shard_path = tmp.path + "/tiny.shard";
  build_shard(src, shard_path, tok, kFp, ChunkTokenizer::kVocab);
  TokenShard shard = TokenShard::open(shard_path);

  auto docs = read_blank_line_docs(src);
  REQUIRE(docs.size() == 7222);  // 7223 blank rows, two of them doubled (rows 15600, 32446)
  REQUIRE(shard.num_documents() == docs.size());
  uint64_t s = 0, total = 0;
  for (uint64_t d = 0; d < docs.size(); ++d) {
    REQUIRE(shard.document_first_sentence(d) == s);
    for (const std::string& line : docs[d]) {
      std::vector<int32_t> want = tok(line);
      TokenRange r = shard.sentence(s);
      REQUIRE(r.size() == want.size());
      REQUIRE(std::equal(want.begin(), want.end(), shard.tokens() + r.begin));
      total += want.size();
      ++s;
    }
    REQUIRE(shard.document_end_sentence(d) == s);
  }
  CHECK(shard.num_sentences() == s);
  CHECK(shard.num_tokens() == total);
  CHECK(shard.is_sentence_start(shard.sentence(5).begin));
  CHECK_FALSE(shard.is_sentence_start(shard.sentence(5).begin + 1));
}

TEST_CASE("pretrain corpus: WikiExtractor and bible structure", "[pretrain][corpus]") {
  TempDir tmp("shard_formats");
  ChunkTokenizer tok;
  const std::string wiki = nlp::test::shared_path("data/corpus/wiki_00.txt");
  REQUIRE(detect_format(wiki, CorpusFormat::Auto) == CorpusFormat::WikiExtractor);
  build_shard(wiki, tmp.path + "/wiki.shard", tok, kFp, ChunkTokenizer::kVocab);
  TokenShard w = TokenShard::open(tmp.path + "/wiki.shard");
  CHECK(w.num_documents() == 2);  // two <doc> elements
  // sentences = non-blank rows that are not <doc>/</doc> tags
  std::ifstream in(wiki);
  std::string line;
  uint64_t rows = 0;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos && line.rfind("<doc", 0) != 0 && line.rfind("</doc>", 0) != 0) ++rows;
  CHECK(w.num_sentences() == rows);
  // the first sentence of the first document is the title row "Anarchism"
  CHECK(w.sentence(0).size() == tok("Anarchism").size());

  const std::string kjv = nlp::test::shared_path("data/corpus/kjv-bible.txt");
  REQUIRE(detect_format(kjv, CorpusFormat::Auto) == CorpusFormat::Text);
  CorpusReadOptions opt;
  opt.max_sentences_per_document = 100;
  build_shard(kjv, tmp.path + "/kjv.shard", tok, kFp, ChunkTokenizer::kVocab, opt);
  TokenShard k = TokenShard::open(tmp.path + "/kjv.shard");
  CHECK(k.num_sentences() == 31102);  // one verse per row, no blank rows
  CHECK(k.num_documents() == 312);    // ceil(31102 / 100)
  CHECK(k.document_end_sentence(0) == 100);
}

TEST_CASE("pretrain corpus: JSONL documents and malformed rows", "[pretrain][corpus]") {
  TempDir tmp("shard_jsonl");
  ChunkTokenizer tok;
  const std::string src = tmp.path + "/c.jsonl";
  write_text(src, "{\"text\": \"a b c\\nd e\"}\n\n{\"text\": \"f g h i\", \"id\": 3}\r\n{\"text\": \"\"}\n{\"text\": \"j\"}\n");
  build_shard(src, tmp.path + "/c.shard", tok, kFp, ChunkTokenizer::kVocab);
  TokenShard s = TokenShard::open(tmp.path + "/c.shard");
  CHECK(s.num_documents() == 3);  // the empty text is dropped
  CHECK(s.num_sentences() == 4);
  CHECK(s.num_tokens() == 10);
  CHECK(s.document_end_sentence(0) == 2);

  write_text(src, "{\"text\": \"ok\"}\n{\"body\": \"no text field\"}\n");
  try {
    build_shard(src, tmp.path + "/bad.shard", tok, kFp, ChunkTokenizer::kVocab);
    FAIL("expected nlp::Error");
  } catch (const nlp::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains(src + ":2") && Catch::Contains("field 'text'"));
  }
  CHECK_FALSE(nlp::path_exists(tmp.path + "/bad.shard"));  // nothing half-written
  write_text(src, "{\"text\": \"ok\"}\n{not json\n");
  CHECK_THROWS_WITH(build_shard(src, tmp.path + "/bad.shard", tok, kFp, ChunkTokenizer::kVocab),
                    Catch::Contains(src + ":2") && Catch::Contains("invalid JSON"));
  // tokenizer ids out of range name the source line
  write_text(src, "{\"text\": \"ok\"}\n");
  auto bad_tok = [](std::string_view) { return std::vector<int32_t>{5, 99}; };
  CHECK_THROWS_WITH(build_shard(src, tmp.path + "/bad.shard", bad_tok, kFp, 50),
                    Catch::Contains(src + ":1") && Catch::Contains("token id 99"));
  for (auto& e : std::filesystem::directory_iterator(tmp.path))
    CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("pretrain corpus: shard cache reuse and stale-cache rebuild", "[pretrain][corpus]") {
  TempDir tmp("shard_cache");
  ChunkTokenizer tok;
  const std::string src = tmp.path + "/c.txt";
  write_text(src, "one two three\nfour five\n\nsix seven\n");
  const std::string cache = tmp.path + "/cache";
  bool rebuilt = false;
  int calls = 0;
  TokenizeFn counting = [&](std::string_view t) {
    ++calls;
    return tok(t);
  };
  {
    TokenShard s = open_or_build_shard(src, cache, counting, kFp, ChunkTokenizer::kVocab, {}, &rebuilt);
    CHECK(rebuilt);
    CHECK(s.num_documents() == 2);
    CHECK(s.path() == shard_cache_path(src, cache));
  }
  CHECK(calls == 3);
  TokenShard again = open_or_build_shard(src, cache, counting, kFp, ChunkTokenizer::kVocab, {}, &rebuilt);
  CHECK_FALSE(rebuilt);  // fresh cache: no tokenization at all
  CHECK(calls == 3);
  CHECK(again.num_tokens() == 11);  // thr|ee fou|r fiv|e sev|en

  // another tokenizer fingerprint -> rebuilt
  open_or_build_shard(src, cache, counting, kFp + 1, ChunkTokenizer::kVocab, {}, &rebuilt);
  CHECK(rebuilt);
  // other options -> rebuilt
  CorpusReadOptions opt;
  opt.max_sentences_per_document = 1;
  TokenShard split = open_or_build_shard(src, cache, counting, kFp + 1, ChunkTokenizer::kVocab, opt, &rebuilt);
  CHECK(rebuilt);
  CHECK(split.num_documents() == 3);
  // edited source -> rebuilt with the new contents
  write_text(src, "one two three\nfour five\n\nsix seven\n\neight\n");
  TokenShard edited = open_or_build_shard(src, cache, counting, kFp + 1, ChunkTokenizer::kVocab, opt, &rebuilt);
  CHECK(rebuilt);
  CHECK(edited.num_documents() == 4);
  CHECK(edited.num_tokens() == 13);
  // an older format version in the header -> treated as stale, rebuilt
  {
    std::string bytes = read_bytes(edited.path());
    bytes[8] = 0;  // version field (u32 after the 8-byte magic)
    write_text(edited.path(), bytes);
  }
  open_or_build_shard(src, cache, counting, kFp + 1, ChunkTokenizer::kVocab, opt, &rebuilt);
  CHECK(rebuilt);
}

TEST_CASE("pretrain corpus: corrupted shard files give an error naming the file", "[pretrain][corpus]") {
  TempDir tmp("shard_corrupt");
  ChunkTokenizer tok;
  const std::string src = nlp::test::shared_path("data/corpus/wiki_00.txt");
  const std::string path = tmp.path + "/w.shard";
  build_shard(src, path, tok, kFp, ChunkTokenizer::kVocab);
  const std::string good = read_bytes(path);
  REQUIRE_NOTHROW(TokenShard::open(path));

  std::string flipped = good;
  flipped[200] ^= 0x5A;  // a token in the body
  write_text(path, flipped);
  CHECK_THROWS_WITH(TokenShard::open(path), Catch::Contains(path) && Catch::Contains("checksum mismatch"));

  write_text(path, good.substr(0, good.size() - 16));
  CHECK_THROWS_WITH(TokenShard::open(path), Catch::Contains(path) && Catch::Contains("truncated"));

  write_text(path, good.substr(0, 50));
  CHECK_THROWS_WITH(TokenShard::open(path), Catch::Contains(path) && Catch::Contains("not a libnlp shard"));

  write_text(path, "hello, this is not a shard at all, but it is long enough to hold a header......................................................................");
  CHECK_THROWS_WITH(TokenShard::open(path), Catch::Contains(path) && Catch::Contains("bad magic"));

  CHECK_THROWS_WITH(TokenShard::open(tmp.path + "/missing.shard"), Catch::Contains(tmp.path + "/missing.shard"));

  // a foreign file at the cache path is never overwritten
  const std::string cache = tmp.path + "/cache";
  std::filesystem::create_directories(cache);
  const std::string cpath = shard_cache_path(src, cache);
  write_text(cpath, "precious user data, not a shard");
  CHECK_THROWS_WITH(open_or_build_shard(src, cache, tok, kFp, ChunkTokenizer::kVocab),
                    Catch::Contains(cpath) && Catch::Contains("not a libnlp shard"));
  CHECK(read_bytes(cpath) == "precious user data, not a shard");
  // a current-stamp shard with a corrupted body is reported, not silently rebuilt
  build_shard(src, cpath, tok, kFp, ChunkTokenizer::kVocab);
  std::string c = read_bytes(cpath);
  c[c.size() - 100] ^= 0x01;
  write_text(cpath, c);
  CHECK_THROWS_WITH(open_or_build_shard(src, cache, tok, kFp, ChunkTokenizer::kVocab),
                    Catch::Contains(cpath) && Catch::Contains("corrupted"));
}

TEST_CASE("pretrain corpus: multi-shard corpus and document split", "[pretrain][corpus]") {
  TempDir tmp("corpus_multi");
  ChunkTokenizer tok;
  std::vector<TokenShard> shards;
  shards.push_back(open_or_build_shard(nlp::test::shared_path("data/corpus/wiki_00.txt"), tmp.path, tok, kFp, ChunkTokenizer::kVocab));
  shards.push_back(open_or_build_shard(nlp::test::shared_path("data/corpus/tinyshakespeare.txt"), tmp.path, tok, kFp, ChunkTokenizer::kVocab));
  const uint64_t t0 = shards[0].num_tokens() + shards[1].num_tokens();
  Corpus corpus(std::move(shards));
  REQUIRE(corpus.num_documents() == 2 + 7222);
  CHECK(corpus.num_tokens() == t0);
  Corpus::Document d1 = corpus.document(1);
  CHECK(d1.shard == 0);
  Corpus::Document d2 = corpus.document(2);
  CHECK(d2.shard == 1);
  CHECK(d2.first_sentence == 0);
  CHECK(corpus.sentence(d2, 0).size() == tok("First Citizen:").size());
  CHECK_THROWS_AS(corpus.document(corpus.num_documents()), nlp::Error);

  DocumentSplit a = split_documents(corpus.num_documents(), 0.05, 11);
  DocumentSplit b = split_documents(corpus.num_documents(), 0.05, 11);
  DocumentSplit c = split_documents(corpus.num_documents(), 0.05, 12);
  CHECK(a.train == b.train);
  CHECK(a.validation == b.validation);
  CHECK(a.validation != c.validation);
  CHECK(a.validation.size() == 361);  // round(7224 * 0.05) = round(361.2)
  std::set<uint64_t> all(a.train.begin(), a.train.end());
  for (uint64_t v : a.validation) CHECK(all.insert(v).second);  // disjoint
  CHECK(all.size() == corpus.num_documents());
  CHECK(std::is_sorted(a.train.begin(), a.train.end()));
  CHECK(split_documents(2, 0.01, 1).validation.size() == 1);
  CHECK(split_documents(1, 0.5, 1).validation.empty());
  CHECK_THROWS_AS(split_documents(10, 1.0, 1), nlp::Error);
}

TEST_CASE("pretrain corpus: TSV column (unlabelled SST-2 sentences)", "[pretrain][corpus]") {
  TempDir tmp("shard_tsv");
  ChunkTokenizer tok;
  const std::string src = nlp::test::shared_path("data/glue/SST-2/train.tsv");
  REQUIRE(detect_format(src, CorpusFormat::Auto) == CorpusFormat::Tsv);
  build_shard(src, tmp.path + "/sst2.shard", tok, kFp, ChunkTokenizer::kVocab);
  TokenShard s = TokenShard::open(tmp.path + "/sst2.shard");
  CHECK(s.num_documents() == 67349);  // one sentence per row
  CHECK(s.num_sentences() == 67349);
  std::vector<int32_t> first = tok("hide new secretions from the parental units ");
  REQUIRE(s.sentence(0).size() == first.size());
  CHECK(std::equal(first.begin(), first.end(), s.tokens()));

  // the test split has the sentence in the second column
  const std::string test_tsv = nlp::test::shared_path("data/glue/SST-2/test.tsv");
  std::vector<std::string> got;
  for_each_sentence(test_tsv, {}, [&](std::string_view t, uint64_t) { if (got.size() < 1) got.emplace_back(t); }, [] {});
  CHECK(got.at(0) == "uneasy mishmash of styles and genres .");

  const std::string bad = tmp.path + "/bad.tsv";
  write_text(bad, "text\tlabel\nfoo\t1\n");
  CHECK_THROWS_WITH(build_shard(bad, tmp.path + "/b.shard", tok, kFp, ChunkTokenizer::kVocab),
                    Catch::Contains(bad + ":1") && Catch::Contains("'sentence'"));
  write_text(bad, "label\tsentence\n1\tok\n0\n");
  CHECK_THROWS_WITH(build_shard(bad, tmp.path + "/b.shard", tok, kFp, ChunkTokenizer::kVocab),
                    Catch::Contains(bad + ":3"));
}
