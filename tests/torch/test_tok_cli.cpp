// `nlp tokenize` end to end: the pairs of the Hugging Face fixtures through the CLI give the
// reference input_ids / token_type_ids (with and without truncation); bad input lines give a
// clear error naming the line.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "nlp/util/json.h"
#include "support/shared.h"

namespace {

std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = pclose(p);
  return {WEXITSTATUS(rc), out};
}

std::vector<nlp::json> jsonl(const std::string& s) {
  std::vector<nlp::json> v;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) v.push_back(nlp::json::parse(line));
  return v;
}

}  // namespace

TEST_CASE("nlp tokenize reproduces the fixture pairs", "[tok][cli]") {
  for (const std::string name : {"bert-base-uncased", "albert-base-v2", "roberta-base"}) {
    INFO(name);
    const std::string dir = nlp::test::shared_path("fixtures/tokenizers/" + name);
    std::ifstream in(dir + "/pairs.jsonl");
    std::vector<nlp::json> refs;
    std::string line, input = "/tmp/nlp_tok_cli_" + std::to_string(::getpid()) + ".jsonl";
    {
      std::ofstream o(input);
      while (std::getline(in, line)) {
        refs.push_back(nlp::json::parse(line));
        o << nlp::json{{"text", refs.back()["text"]}, {"text_pair", refs.back()["text_pair"]}}.dump() << "\n";
      }
    }
    auto [rc, out] = run(std::string(NLP_BINARY) + " tokenize --tokenizer " + dir + " --pair --input " + input);
    REQUIRE(rc == 0);
    auto rows = jsonl(out);
    REQUIRE(rows.size() == refs.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      CHECK(rows[i]["input_ids"] == refs[i]["full"]["input_ids"]);
      if (refs[i]["full"].contains("token_type_ids")) CHECK(rows[i]["token_type_ids"] == refs[i]["full"]["token_type_ids"]);
      CHECK(rows[i]["offsets"].size() == rows[i]["input_ids"].size());
    }
    auto [rc2, out2] = run(std::string(NLP_BINARY) + " tokenize --tokenizer " + dir +
                           " --pair --max-length 16 --truncation only_second --input " + input);
    REQUIRE(rc2 == 0);
    rows = jsonl(out2);
    REQUIRE(rows.size() == refs.size());
    for (size_t i = 0; i < rows.size(); ++i)
      CHECK(rows[i]["input_ids"] == refs[i]["truncation=only_second,max_length=16"]["input_ids"]);
    std::remove(input.c_str());
  }
}

TEST_CASE("nlp tokenize: plain lines, windows, errors name the line", "[tok][cli]") {
  const std::string dir = nlp::test::shared_path("fixtures/tokenizers/bert-base-uncased");
  auto [rc, out] = run("printf 'hello world\\n\\nCaf\\303\\251!\\n' | " + std::string(NLP_BINARY) + " tokenize --tokenizer " + dir);
  REQUIRE(rc == 0);
  auto rows = jsonl(out);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["tokens"] == nlp::json::array({"hello", "world"}));
  CHECK(rows[1]["input_ids"] == nlp::json::array({101, 102}));
  const size_t bang = rows[2]["input_ids"].size() - 2;  // "!" after "Café"
  CHECK(rows[2]["offsets"][bang] == nlp::json::array({4, 5}));       // characters
  CHECK(rows[2]["byte_offsets"][bang] == nlp::json::array({5, 6}));  // bytes
  auto [rcw, outw] = run("printf 'q?\\tone two three four five six seven eight nine ten\\n' | " + std::string(NLP_BINARY) +
                         " tokenize --tokenizer " + dir + " --pair --max-length 10 --truncation only_second --stride 2");
  REQUIRE(rcw == 0);
  rows = jsonl(outw);
  CHECK(rows.size() == 3);  // 10 context tokens in windows of 5 with stride 2
  for (const auto& r : rows) CHECK(r["overflow_to_sample"] == 0);
  auto [rc3, out3] = run("printf 'ok\\n{\"txt\": 1}\\n' | " + std::string(NLP_BINARY) + " tokenize --tokenizer " + dir);
  CHECK(rc3 != 0);
  CHECK_THAT(out3, Catch::Contains("stdin:2") && Catch::Contains("text"));
  auto [rc4, out4] = run(std::string(NLP_BINARY) + " tokenize --tokenizer /nonexistent/tok < /dev/null");
  CHECK(rc4 != 0);
  CHECK_THAT(out4, Catch::Contains("/nonexistent/tok"));
}
