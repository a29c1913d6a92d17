// BERT at Hugging Face parity: every output of every BERT fixture (made by transformers 4.31)
// within 1e-5 max-abs, from model.safetensors and from pytorch_model.bin; parameter counts equal
// transformers' num_parameters().
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <iostream>

#include "bert_test_util.h"
#include "nlp/models/loading.h"

using namespace nlp;

static const char* kBertFixtures[] = {"bert-model", "bert-pretraining", "bert-seqcls-gelu-new",
                                      "bert-qa-relu", "bert-multiple-choice", "bert-token-cls"};

static void check_fixture(const std::string& name, io::CheckpointFormat format) {
  INFO("fixture " << name << " format " << io::format_name(format));
  test::Fixture f = test::load_fixture(name);
  models::LoadOptions opt;
  opt.prefer = format;
  models::LoadedModel m = models::from_pretrained(f.dir, opt);
  CHECK(m.report.format == io::format_name(format));
  CHECK(m.report.newly_initialized.empty());
  CHECK(m.report.unexpected.empty());
  CHECK(m.model->architecture() == f.meta.at("hf_class").get<std::string>());
  torch::NoGradGuard g;
  auto out = m.model->forward(f.inputs, {true, true});
  double worst = test::require_outputs_match(f.expected, out);
  std::cout << "[parity] " << name << " (" << io::format_name(format) << "): max-abs diff " << worst << "\n";
}

TEST_CASE("BERT fixtures match transformers from model.safetensors", "[bert][parity]") {
  for (const char* name : kBertFixtures) check_fixture(name, io::CheckpointFormat::Safetensors);
}

TEST_CASE("BERT fixtures match transformers from pytorch_model.bin", "[bert][parity][bin]") {
  for (const char* name : kBertFixtures) check_fixture(name, io::CheckpointFormat::PytorchBin);
}

TEST_CASE("BERT parameter counts equal transformers num_parameters()", "[bert]") {
  for (const char* name : kBertFixtures) {
    INFO(name);
    test::Fixture f = test::load_fixture(name);
    auto m = models::from_pretrained(f.dir);
    CHECK(models::num_parameters(*m.model) == f.meta.at("num_parameters").get<int64_t>());
    CHECK(models::num_parameters(*m.model, true) == f.meta.at("num_parameters").get<int64_t>());
  }
}
