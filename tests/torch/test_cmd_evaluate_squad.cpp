// CLI test: nlp evaluate-squad on real XQuAD data (v1.1) and a small v2.0 file.
#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <string>

#include "support/shared.h"
#include "support/temp_dir.h"

namespace {
struct Run {
  int status;
  std::string out;
};
Run run(const std::string& args) {
  std::string cmd = std::string(NLP_BINARY) + " evaluate-squad " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WEXITSTATUS(status), out};
}
}  // namespace

TEST_CASE("nlp evaluate-squad v1.1 on XQuAD-en", "[cli][squad]") {
  nlp::test::ScratchDir dir;
  const std::string data = nlp::test::shared_path("data/qa/xquad/xquad.en.json");
  // First question answered exactly, second partially, the rest unanswered.
  auto preds = dir.write("pred.json", R"({"56beb4343aeaaa14008c925b": "308", "56beb4343aeaaa14008c925c": "136 sacks"})");
  auto r = run("--data " + data + " --predictions " + preds + " --out " + (dir.path / "eval.json").string());
  CHECK(r.status == 0);
  CHECK(r.out.find("Unanswered question") != std::string::npos);
  // EM 100 * 1/1190; F1 100 * (1 + 2/3) / 1190 ("136 sacks" vs "136": P 1/2, R 1), as Python prints floats
  CHECK(r.out.find("{\"exact_match\": 0.08403361344537816, \"f1\": 0.1400560224089636}") != std::string::npos);
  CHECK(nlp::path_exists((dir.path / "eval.json").string()));
}

TEST_CASE("nlp evaluate-squad v2.0 with na-probs; errors", "[cli][squad]") {
  nlp::test::ScratchDir dir;
  auto data = dir.write("dev.json", R"({"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": "Paris is in France.",
    "qas": [{"id": "a", "question": "Where?", "answers": [{"text": "France", "answer_start": 12}], "is_impossible": false},
            {"id": "b", "question": "Who?", "answers": [], "is_impossible": true, "plausible_answers": [{"text": "Paris", "answer_start": 0}]}]}]}]})");
  auto preds = dir.write("pred.json", R"({"a": "France", "b": "Paris"})");
  auto na = dir.write("na.json", R"({"a": 0.25, "b": 0.75})");
  auto r = run("--data " + data + " --predictions " + preds + " --na-probs " + na);
  CHECK(r.status == 0);
  CHECK(r.out ==
        "{\n  \"exact\": 50.0,\n  \"f1\": 50.0,\n  \"total\": 2,\n  \"HasAns_exact\": 100.0,\n  \"HasAns_f1\": 100.0,\n"
        "  \"HasAns_total\": 1,\n  \"NoAns_exact\": 0.0,\n  \"NoAns_f1\": 0.0,\n  \"NoAns_total\": 1,\n  \"best_exact\": 100.0,\n"
        "  \"best_exact_thresh\": 0.25,\n  \"best_f1\": 100.0,\n  \"best_f1_thresh\": 0.25\n}\n");
  auto bad = run("--data " + data + " --predictions " + dir.write("bad.json", "{\"a\": \"x\",}"));
  CHECK(bad.status == 2);
  CHECK(bad.out.find("bad.json:1:") != std::string::npos);
  auto missing = run("--data " + (dir.path / "nope.json").string() + " --predictions " + preds);
  CHECK(missing.status == 2);
  CHECK(missing.out.find("nope.json") != std::string::npos);
}
