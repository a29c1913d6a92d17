// `nlp forward` and `nlp info` through the real binary (NLP_BINARY) on the BERT fixtures.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bert_test_util.h"
#include "io_test_util.h"
#include "nlp/util/fs.h"

using namespace nlp;
using Catch::Matchers::Contains;

namespace {

struct RunResult {
  int code;
  std::string output;
};

RunResult run_nlp(const std::string& args, const std::string& log) {
  std::string cmd = std::string(NLP_BINARY) + " " + args + " > " + log + " 2>&1";
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, nlp::read_file(log)};
}

}  // namespace

TEST_CASE("nlp forward writes every fixture output within 1e-5", "[cli][bert]") {
  test::TempDir tmp;
  for (const char* name : {"bert-model", "bert-pretraining", "bert-seqcls-gelu-new", "bert-qa-relu",
                           "bert-multiple-choice", "bert-token-cls"}) {
    for (const char* format : {"safetensors", "bin"}) {
      INFO(name << " " << format);
      test::Fixture f = test::load_fixture(name);
      std::string out = tmp.file(std::string(name) + "." + format + ".safetensors");
      auto r = run_nlp("--threads 1 forward --model " + f.dir + " --inputs " + f.dir +
                           "/inputs_outputs.safetensors --output " + out + " --format " + format,
                       tmp.file("log"));
      INFO(r.output);
      REQUIRE(r.code == 0);
      models::TensorMap got;
      for (auto& [k, t] : io::load_safetensors(out)) {
        REQUIRE(k.rfind("output.", 0) == 0);
        got[k.substr(7)] = t;
      }
      test::require_outputs_match(f.expected, got);
    }
  }
}

TEST_CASE("nlp forward --head base writes the backbone outputs only", "[cli][bert]") {
  test::TempDir tmp;
  test::Fixture f = test::load_fixture("bert-pretraining");
  auto r = run_nlp("forward --head base --model " + f.dir + " --inputs " + f.dir + "/inputs_outputs.safetensors --output " +
                       tmp.file("o.safetensors"),
                   tmp.file("log"));
  INFO(r.output);
  REQUIRE(r.code == 0);
  auto got = io::load_safetensors(tmp.file("o.safetensors"));
  CHECK(got.count("output.prediction_logits") == 0);
  CHECK(got.count("output.loss") == 0);
  REQUIRE(got.count("output.last_hidden_state") == 1);
  CHECK((got["output.last_hidden_state"] - f.expected.at("last_hidden_state")).abs().max().item<double>() <= 1e-5);
}

TEST_CASE("nlp forward reports bad input clearly and writes nothing", "[cli][errors]") {
  test::TempDir tmp;
  test::Fixture f = test::load_fixture("bert-model");
  const std::string out = tmp.file("o.safetensors");
  auto r = run_nlp("forward --model " + tmp.path() + " --inputs " + f.dir + "/inputs_outputs.safetensors --output " + out,
                   tmp.file("log"));
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Contains("config.json"));
  r = run_nlp("forward --model " + f.dir + " --inputs " + f.dir + "/model.safetensors --output " + out, tmp.file("log"));
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Contains("input."));
  r = run_nlp("forward --model " + f.dir + " --inputs " + f.dir + "/inputs_outputs.safetensors --output " + out +
                  " --dtype float8",
              tmp.file("log"));
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Contains("--dtype") && Contains("bfloat16"));
  CHECK_FALSE(nlp::path_exists(out));
}

TEST_CASE("nlp forward --dtype bfloat16 runs close to float32", "[cli][bert]") {
  test::TempDir tmp;
  test::Fixture f = test::load_fixture("bert-seqcls-gelu-new");
  auto r = run_nlp("forward --dtype bfloat16 --model " + f.dir + " --inputs " + f.dir +
                       "/inputs_outputs.safetensors --output " + tmp.file("o.safetensors"),
                   tmp.file("log"));
  INFO(r.output);
  REQUIRE(r.code == 0);
  auto got = io::load_safetensors(tmp.file("o.safetensors"));
  CHECK(got["output.logits"].scalar_type() == torch::kBFloat16);
  // bfloat16 keeps ~3 significant digits; logits of this tiny model stay within 0.1.
  CHECK((got["output.logits"].to(torch::kFloat) - f.expected.at("logits")).abs().max().item<double>() < 0.1);
}

TEST_CASE("nlp info prints architecture, head and transformers' parameter counts", "[cli][bert]") {
  test::TempDir tmp;
  test::Fixture f = test::load_fixture("bert-pretraining");
  auto r = run_nlp("info --model " + f.dir, tmp.file("log"));
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Contains("BertForPreTraining") && Contains("ForPreTraining") && Contains("34,892") &&
                           Contains("float32") && Contains("safetensors"));
  r = run_nlp("info --head base --model " + f.dir, tmp.file("log"));
  CHECK_THAT(r.output, Contains("BertModel") && Contains("33,194") && Contains("cls.predictions.bias"));
  r = run_nlp("info --config bert-base --head base", tmp.file("log"));
  CHECK_THAT(r.output, Contains("109,482,240"));
}
