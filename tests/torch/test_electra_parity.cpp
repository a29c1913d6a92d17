// ELECTRA at Hugging Face parity (transformers 4.31 fixtures): discriminator and generator, every
// output within 1e-5 from both checkpoint formats; fine-tuning heads; save/reload of the generator.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "encoder_parity_util.h"
#include "nlp/models/electra.h"
#include "nlp/models/registry.h"
#include "nlp/util/fs.h"

using namespace nlp;

static const char* kElectraFixtures[] = {"electra-discriminator", "electra-generator"};

TEST_CASE("ELECTRA fixtures match transformers from model.safetensors", "[electra][parity]") {
  for (const char* name : kElectraFixtures) test::check_hf_fixture(name, io::CheckpointFormat::Safetensors);
}

TEST_CASE("ELECTRA fixtures match transformers from pytorch_model.bin", "[electra][parity][bin]") {
  for (const char* name : kElectraFixtures) test::check_hf_fixture(name, io::CheckpointFormat::PytorchBin);
}

TEST_CASE("ELECTRA generator saves its own lm-head bias and reloads identically", "[electra]") {
  test::HfFixture f = test::load_hf_fixture("electra-generator");
  auto m = models::from_pretrained(f.dir);
  auto saved = models::state_dict_for_saving(*m.model);
  CHECK(saved.count("generator_lm_head.bias") == 1);
  CHECK(saved.count("generator_lm_head.weight") == 0);  // tied to the word embeddings, as transformers saves
  char tmpl[] = "/tmp/nlp_electra_XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  models::save_pretrained(*m.model, tmpl);
  auto again = models::from_pretrained(tmpl);
  torch::NoGradGuard g;
  auto a = m.model->forward(f.inputs), b = again.model->forward(f.inputs);
  CHECK(torch::equal(a.at("logits"), b.at("logits")));
  std::system((std::string("rm -rf ") + tmpl).c_str());
}

TEST_CASE("Every ELECTRA head builds from a config and runs", "[electra]") {
  test::HfFixture f = test::load_hf_fixture("electra-discriminator");
  json config = read_json_file(f.dir + "/config.json");
  const at::Tensor ids = f.inputs.at("input_ids"), mask = f.inputs.at("attention_mask");
  const int64_t b = ids.size(0), s = ids.size(1);
  torch::NoGradGuard g;
  for (const char* arch : {"ElectraModel", "ElectraForMaskedLM", "ElectraForSequenceClassification",
                           "ElectraForTokenClassification", "ElectraForQuestionAnswering", "ElectraForMultipleChoice"}) {
    INFO(arch);
    auto model = models::build_model(config, "electra-discriminator/config.json", arch);
    model->eval();
    std::string a = arch;
    if (a == "ElectraForMultipleChoice") {
      auto out = model->forward({{"input_ids", ids.view({1, b, s})}, {"attention_mask", mask.view({1, b, s})},
                                 {"labels", torch::tensor({2}, torch::kLong)}});
      CHECK(out.at("logits").sizes() == at::IntArrayRef({1, b}));
      CHECK(std::isfinite(out.at("loss").item<double>()));
    } else if (a == "ElectraForQuestionAnswering") {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask}});
      CHECK(out.at("end_logits").sizes() == at::IntArrayRef({b, s}));
    } else if (a == "ElectraModel") {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask}});
      CHECK(out.at("last_hidden_state").sizes() == at::IntArrayRef({b, s, 32}));
      CHECK(out.count("pooler_output") == 0);
    } else {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask}});
      at::Tensor logits = out.at("logits");
      if (a == "ElectraForMaskedLM") CHECK(logits.sizes() == at::IntArrayRef({b, s, 300}));
      if (a == "ElectraForSequenceClassification") CHECK(logits.sizes() == at::IntArrayRef({b, 2}));
      if (a == "ElectraForTokenClassification") CHECK(logits.sizes() == at::IntArrayRef({b, s, 2}));
    }
  }
}
