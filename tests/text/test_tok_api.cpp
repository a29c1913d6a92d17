// The generic tokenizer layer on real vocabularies: truncation, overflowing windows with stride,
// padding, batches, offsets, decode options, loading errors, and defined behaviour on hostile
// input (invalid UTF-8, NUL bytes, a 1 MB line, empty input).
#include <fstream>
#include <random>
#include <unistd.h>

#include "nlp/tokenizers/tokenizer.h"
#include "nlp/tokenizers/unicode.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"
#include "support/shared.h"

using namespace nlp::tok;

namespace {

const char* kAllSets[] = {"bert-base-uncased", "bert-base-cased", "bert-base-multilingual-cased",
                          "bert-base-uncased-no-lower", "albert-base-v2", "gpt2", "roberta-base", "openai-gpt"};

Tokenizer load(const std::string& name) {
  return Tokenizer::from_pretrained(nlp::test::shared_path("fixtures/tokenizers/" + name));
}

std::string tmp_dir(const std::string& name) {
  std::string d = "/tmp/nlp_tok_test_" + std::to_string(::getpid()) + "_" + name;
  std::string cmd = "rm -rf '" + d + "' && mkdir -p '" + d + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return d;
}

void write(const std::string& path, const std::string& data) {
  std::ofstream o(path, std::ios::binary);
  o << data;
}

}  // namespace

TEST_CASE("bert pair truncation strategies and slow-tokenizer edge rules", "[tok]") {
  Tokenizer tok = load("bert-base-uncased");
  const std::string q = "Who wrote it?";  // 4 tokens
  const std::string ctx = "The quick brown fox jumps over the lazy dog near the river bank today.";
  Encoding full = tok.encode(q, ctx);
  const size_t lq = 4, lc = full.size() - 3 - lq;
  REQUIRE(full.input_ids[0] == tok.cls_token_id());
  REQUIRE(full.input_ids[lq + 1] == tok.sep_token_id());

  EncodeOptions o;
  o.max_length = 12;
  o.truncation = Truncation::OnlySecond;
  Encoding e = tok.encode(q, ctx, o);
  CHECK(e.size() == 12);
  CHECK(std::vector<int64_t>(e.input_ids.begin(), e.input_ids.begin() + 11) ==
        std::vector<int64_t>(full.input_ids.begin(), full.input_ids.begin() + 11));
  CHECK(e.input_ids.back() == tok.sep_token_id());
  CHECK(e.token_type_ids[lq + 2] == 1);
  CHECK(e.sequence_ids[1] == 0);
  CHECK(e.sequence_ids[lq + 2] == 1);
  CHECK(e.sequence_ids[0] == -1);

  // only_first cannot remove that many: transformers keeps everything (and logs an error).
  o.truncation = Truncation::OnlyFirst;
  CHECK(tok.encode(q, ctx, o).input_ids == full.input_ids);

  // longest_first removes from the longer sequence, one token at a time.
  o.truncation = Truncation::LongestFirst;
  o.max_length = int64_t(3 + 2 * lq + 1);
  Encoding lf = tok.encode(q, ctx, o);
  CHECK(lf.size() == size_t(o.max_length));
  CHECK(std::count(lf.sequence_ids.begin(), lf.sequence_ids.end(), 0) == int64_t(lq));
  CHECK(std::count(lf.sequence_ids.begin(), lf.sequence_ids.end(), 1) == int64_t(lq + 1));
  (void)lc;
}

TEST_CASE("overflowing windows with stride cover the context (SQuAD style)", "[tok]") {
  Tokenizer tok = load("bert-base-uncased");
  std::ifstream in(nlp::test::shared_path("data/corpus/wiki_00.txt"));
  std::string ctx((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ctx = ctx.substr(0, 6000);
  const std::string q = "What is the topic of the article?";
  const Encoding whole = tok.encode(q, ctx);
  std::vector<int64_t> ctx_ids;
  for (size_t k = 0; k < whole.size(); ++k)
    if (whole.sequence_ids[k] == 1) ctx_ids.push_back(whole.input_ids[k]);

  EncodeOptions o;
  o.max_length = 128;
  o.stride = 32;
  o.truncation = Truncation::OnlySecond;
  o.return_overflowing_tokens = true;
  o.padding = Padding::MaxLength;
  Encoding e = tok.encode(q, ctx, o);
  std::vector<const Encoding*> wins{&e};
  for (const auto& w : e.overflowing) wins.push_back(&w);
  REQUIRE(wins.size() > 3);
  std::vector<std::vector<int64_t>> parts;
  for (const Encoding* w : wins) {
    CHECK(w->size() == 128);
    std::vector<int64_t> part;
    for (size_t k = 0; k < w->size(); ++k) {
      if (w->sequence_ids[k] == 1) {
        part.push_back(w->input_ids[k]);
        // offsets point into the context and reproduce the token's text
        CHECK(w->offsets[k].second <= int64_t(ctx.size()));
      }
      if (w->sequence_ids[k] == 0) CHECK(w->token_type_ids[k] == 0);
    }
    parts.push_back(part);
  }
  // consecutive windows share exactly `stride` tokens; their union is the whole context
  std::vector<int64_t> joined = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    REQUIRE(parts[i - 1].size() >= 32);
    CHECK(std::vector<int64_t>(parts[i - 1].end() - 32, parts[i - 1].end()) ==
          std::vector<int64_t>(parts[i].begin(), parts[i].begin() + 32));
    joined.insert(joined.end(), parts[i].begin() + 32, parts[i].end());
  }
  CHECK(joined == ctx_ids);
  // the last window is padded
  CHECK(wins.back()->attention_mask.back() == 0);
  CHECK(wins.back()->input_ids.back() == tok.pad_token_id());

  // batch flattening with overflow_to_sample_mapping
  BatchEncoding b = tok.encode_batch({q, "short question"}, {ctx, "short context."}, o, 2);
  CHECK(b.encodings.size() == wins.size() + 1);
  CHECK(b.overflow_to_sample_mapping.back() == 1);
  CHECK(b.overflow_to_sample_mapping.front() == 0);

  o.stride = 200;
  CHECK_THROWS_AS(tok.encode(q, ctx, o), nlp::Error);
  o.stride = 0;
  o.truncation = Truncation::LongestFirst;
  CHECK_THROWS_AS(tok.encode(q, ctx, o), nlp::Error);
}

TEST_CASE("batch padding to the longest, left padding, threads give the same result", "[tok]") {
  Tokenizer tok = load("roberta-base");
  std::vector<std::string> texts = {"Hello world", "A somewhat longer sentence with more tokens in it.", ""};
  EncodeOptions o;
  o.padding = Padding::Longest;
  BatchEncoding b1 = tok.encode_batch(texts, {}, o, 1);
  BatchEncoding b2 = tok.encode_batch(texts, {}, o, 2);
  REQUIRE(b1.encodings.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(b1.encodings[i].input_ids == b2.encodings[i].input_ids);
    CHECK(b1.encodings[i].size() == b1.encodings[1].size());
  }
  CHECK(b1.encodings[2].input_ids[0] == tok.cls_token_id());
  CHECK(b1.encodings[2].input_ids[2] == tok.pad_token_id());
  CHECK(b1.encodings[2].attention_mask[2] == 0);
  CHECK(tok.decode(b1.encodings[0].input_ids, true) == "Hello world");

  EncodeOptions m;
  m.padding = Padding::MaxLength;
  m.max_length = 8;
  m.pad_to_multiple_of = 0;
  Encoding e = tok.encode("Hi", m);
  CHECK(e.size() == 8);
  CHECK(e.special_tokens_mask == std::vector<int64_t>{1, 0, 1, 1, 1, 1, 1, 1});
}

TEST_CASE("offsets: byte and character offsets into the original text, word ids", "[tok]") {
  Tokenizer bert = load("bert-base-uncased");
  const std::string text = "Café naïve UNAFFABLE";
  Encoding e = bert.encode(text);
  // [CLS] cafe naive una ##ff ##able [SEP]
  REQUIRE(e.tokens == std::vector<std::string>{"[CLS]", "cafe", "naive", "una", "##ffa", "##ble", "[SEP]"});
  CHECK(e.offsets[1] == std::pair<int64_t, int64_t>{0, 5});   // "Café" is 5 bytes
  CHECK(e.char_offsets[1] == std::pair<int64_t, int64_t>{0, 4});
  CHECK(e.offsets[2] == std::pair<int64_t, int64_t>{6, 12});
  CHECK(e.char_offsets[2] == std::pair<int64_t, int64_t>{5, 10});
  CHECK(e.offsets[4] == std::pair<int64_t, int64_t>{16, 19});
  CHECK(e.char_offsets[4] == std::pair<int64_t, int64_t>{14, 17});
  CHECK(e.word_ids == std::vector<int64_t>{-1, 0, 1, 2, 2, 2, -1});
  CHECK(e.offsets[0] == std::pair<int64_t, int64_t>{0, 0});
}

TEST_CASE("decode defaults and options per family", "[tok]") {
  Tokenizer bert = load("bert-base-uncased");
  auto ids = bert.encode("Hello , world ! I do n't know .").input_ids;
  CHECK(bert.decode(ids, true) == "hello, world! i don't know.");
  CHECK(bert.decode(ids, true, false) == "hello , world ! i do n ' t know .");
  Tokenizer gpt2 = load("gpt2");
  CHECK(gpt2.decode(gpt2.encode("Hello world<|endoftext|>").input_ids, true) == "Hello world");
  CHECK_THROWS_AS(bert.decode({999999}), nlp::Error);
}

TEST_CASE("GPT-1 task transformation tokens", "[tok]") {
  Tokenizer gpt = load("openai-gpt");
  const int64_t before = gpt.vocab_size();
  gpt.set_gpt1_task_tokens();
  CHECK(gpt.vocab_size() == before + 3);
  Encoding e = gpt.encode("a story .", "the ending");
  CHECK(e.tokens.front() == "_start_");
  CHECK(e.tokens.back() == "_classify_");
  CHECK(std::find(e.tokens.begin(), e.tokens.end(), "_delimiter_") != e.tokens.end());
  CHECK(gpt.decode(e.input_ids, true) == "a story. the ending");
  // the tokens are matched in raw text as well
  CHECK(gpt.tokenize("x _delimiter_ y")[1].token == "_delimiter_");
}

TEST_CASE("hostile input: invalid UTF-8, NUL bytes, 1 MB line, empty", "[tok]") {
  std::mt19937 rng(1234);
  std::string big;
  while (big.size() < (1 << 20)) {
    static const char* words[] = {"transformer ", "naïve ", "東京", "😀", "x", "unaffable ", "\t", "a,b. "};
    big += words[rng() % 8];
  }
  std::string one_word(1 << 20, 'a');
  for (const char* name : kAllSets) {
    INFO(name);
    Tokenizer tok = load(name);
    CHECK(tok.encode("").input_ids == tok.build_inputs_with_special_tokens({}));
    // invalid UTF-8 -> replacement semantics, never a crash; offsets stay in range
    const std::string bad = std::string("ab\xff\xfe cd \xc3 e\xe2\x82 \xed\xa0\x80 f") + std::string(1, '\0') + "g";
    Encoding e = tok.encode(bad);
    for (auto [b, en] : e.offsets) CHECK((b >= 0 && b <= en && en <= int64_t(bad.size())));
    CHECK_NOTHROW(tok.decode(e.input_ids));
    // NUL bytes
    Encoding z = tok.encode(std::string("a\0b\0\0c", 6));
    CHECK(z.size() >= 1);
    // 1 MB lines
    Encoding l = tok.encode(big);
    CHECK(l.size() > 100000);
    CHECK(l.offsets[l.size() - 2].second <= int64_t(big.size()));
    Encoding w = tok.encode(one_word);
    CHECK(w.size() >= 1);
    // random bytes
    for (int r = 0; r < 200; ++r) {
      std::string s(rng() % 64, '\0');
      for (auto& ch : s) ch = char(rng() % 256);
      Encoding x = tok.encode(s, s);
      for (auto [b, en] : x.offsets) REQUIRE((b >= 0 && b <= en && en <= int64_t(s.size())));
      (void)tok.decode(x.input_ids, r % 2 == 0);
    }
  }
}

TEST_CASE("loading: tokenizer.json WordPiece, added tokens, clear errors", "[tok]") {
  const std::string src = nlp::test::shared_path("fixtures/tokenizers/bert-base-uncased");
  Tokenizer ref = load("bert-base-uncased");

  // tokenizer.json with a WordPiece model equals vocab.txt loading; added tokens are split off.
  {
    std::string d = tmp_dir("tj");
    std::ifstream in(src + "/vocab.txt");
    nlp::json vocab = nlp::json::object();
    std::string line;
    int id = 0;
    while (std::getline(in, line)) vocab[line] = id++;
    nlp::json tj = {{"version", "1.0"},
                    {"added_tokens", nlp::json::array({{{"id", id}, {"content", "<ent>"}, {"special", false},
                                                        {"lstrip", false}, {"rstrip", false}}})},
                    {"normalizer", {{"type", "BertNormalizer"}, {"lowercase", true}, {"handle_chinese_chars", true}}},
                    {"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
                               {"max_input_chars_per_word", 100}, {"vocab", vocab}}}};
    write(d + "/tokenizer.json", tj.dump());
    write(d + "/tokenizer_config.json", R"({"tokenizer_class": "BertTokenizerFast", "do_lower_case": true})");
    Tokenizer t = Tokenizer::from_pretrained(d);
    const std::string s = "Hello <ent> World, naïve 東京";
    auto p = t.tokenize(s);
    REQUIRE(p.size() == 7);
    CHECK(p[1].token == "<ent>");
    CHECK(p[1].id == id);
    CHECK(t.vocab_size() == ref.vocab_size() + 1);
    CHECK(t.encode("Hello World, naïve 東京").input_ids == ref.encode("Hello World, naïve 東京").input_ids);
    CHECK(t.decode(t.encode(s).input_ids, true) == "hello <ent> world, naive 東 京");
  }
  // added_tokens.json
  {
    std::string d = tmp_dir("added");
    std::system(("cp " + src + "/vocab.txt " + src + "/tokenizer_config.json " + d + "/").c_str());
    write(d + "/added_tokens.json", R"({"[NEW1]": 30522, "[NEW2]": 30523})");
    Tokenizer t = Tokenizer::from_pretrained(d);
    auto p = t.tokenize("a [NEW2]b[NEW1]");
    REQUIRE(p.size() == 4);
    CHECK(p[1].id == 30523);
    CHECK(p[3].id == 30522);
    CHECK(t.vocab_size() == 30524);
    write(d + "/added_tokens.json", R"({"hello": 5})");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d), Catch::Contains("added_tokens.json") && Catch::Contains("hello"));
    write(d + "/added_tokens.json", R"({"x": "five"})");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d), Catch::Contains("added_tokens.json") && Catch::Contains("'x'"));
  }
  // errors name the file and the field
  {
    std::string d = tmp_dir("bad");
    write(d + "/tokenizer_config.json", R"({"tokenizer_class": "XLMTokenizer"})");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d),
                      Catch::Contains("tokenizer_config.json") && Catch::Contains("tokenizer_class") && Catch::Contains("XLMTokenizer"));
    write(d + "/tokenizer_config.json", R"({"tokenizer_class": "BertTokenizer", "do_lower_case": "yes"})");
    write(d + "/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d), Catch::Contains("do_lower_case") && Catch::Contains("boolean"));
    write(d + "/tokenizer_config.json", R"({"tokenizer_class": "BertTokenizer"})");
    write(d + "/vocab.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d), Catch::Contains("vocab.txt") && Catch::Contains("[UNK]"));
    write(d + "/tokenizer_config.json", R"({"tokenizer_class": "AlbertTokenizer"})");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d), Catch::Contains("spiece.model"));
    write(d + "/tokenizer_config.json", R"({"tokenizer_class": "GPT2Tokenizer"})");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d), Catch::Contains("vocab.json"));
    write(d + "/tokenizer_config.json", "{not json");
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d), Catch::Contains("tokenizer_config.json"));
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d + "/nope"), Catch::Contains("nope"));
  }
}
