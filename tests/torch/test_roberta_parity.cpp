// RoBERTa at Hugging Face parity (fixtures made by transformers 4.31): every output within 1e-5 from
// model.safetensors and pytorch_model.bin, parameter counts, padding-aware positions, every head.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "encoder_parity_util.h"
#include "nlp/models/registry.h"
#include "nlp/models/roberta.h"
#include "nlp/util/error.h"

using namespace nlp;

static const char* kRobertaFixtures[] = {"roberta-model", "roberta-mlm", "roberta-seqcls"};

TEST_CASE("RoBERTa fixtures match transformers from model.safetensors", "[roberta][parity]") {
  for (const char* name : kRobertaFixtures) test::check_hf_fixture(name, io::CheckpointFormat::Safetensors);
}

TEST_CASE("RoBERTa fixtures match transformers from pytorch_model.bin", "[roberta][parity][bin]") {
  for (const char* name : kRobertaFixtures) test::check_hf_fixture(name, io::CheckpointFormat::PytorchBin);
}

TEST_CASE("RoBERTa positions count non-pad tokens from pad_token_id + 1", "[roberta]") {
  test::HfFixture f = test::load_hf_fixture("roberta-model");
  auto m = models::from_pretrained(f.dir);
  auto* roberta = dynamic_cast<models::RobertaModel*>(m.model.get());
  REQUIRE(roberta != nullptr);
  // pad = 1: [5, 6, 1, 1] -> [2, 3, 1, 1]; a pad inside the sequence keeps pad_token_id.
  at::Tensor ids = torch::tensor({5, 6, 1, 7}, torch::kLong).view({1, 4});
  at::Tensor pos = roberta->embeddings->default_position_ids(ids, 0);
  CHECK(torch::equal(pos, torch::tensor({2, 3, 1, 4}, torch::kLong).view({1, 4})));
  // 66 position rows -> at most 64 tokens.
  at::Tensor too_long = torch::full({1, 65}, 5, torch::kLong);
  CHECK_THROWS_AS(roberta->forward({{"input_ids", too_long}}), nlp::Error);
  at::Tensor longest = torch::full({1, 64}, 5, torch::kLong);
  torch::NoGradGuard g;
  CHECK(roberta->forward({{"input_ids", longest}}).at("last_hidden_state").size(1) == 64);
}

TEST_CASE("Every RoBERTa head builds from a config and runs with and without labels", "[roberta]") {
  test::HfFixture f = test::load_hf_fixture("roberta-model");
  json config = read_json_file(f.dir + "/config.json");
  const at::Tensor ids = f.inputs.at("input_ids"), mask = f.inputs.at("attention_mask");
  const int64_t b = ids.size(0), s = ids.size(1);
  torch::NoGradGuard g;
  for (const char* arch : {"RobertaForMaskedLM", "RobertaForSequenceClassification", "RobertaForTokenClassification",
                           "RobertaForQuestionAnswering", "RobertaForMultipleChoice"}) {
    INFO(arch);
    auto model = models::build_model(config, "roberta-model/config.json", arch);
    model->eval();
    CHECK(model->architecture() == arch);
    CHECK(model->model_type() == "roberta");
    std::string a = arch;
    if (a == "RobertaForMultipleChoice") {
      auto out = model->forward({{"input_ids", ids.view({1, b, s})}, {"attention_mask", mask.view({1, b, s})},
                                 {"labels", torch::tensor({1}, torch::kLong)}});
      CHECK(out.at("logits").sizes() == at::IntArrayRef({1, b}));
      CHECK(out.count("loss") == 1);
    } else if (a == "RobertaForQuestionAnswering") {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask},
                                 {"start_positions", torch::zeros({b}, torch::kLong)},
                                 {"end_positions", torch::ones({b}, torch::kLong)}});
      CHECK(out.at("start_logits").sizes() == at::IntArrayRef({b, s}));
      CHECK(out.at("end_logits").sizes() == at::IntArrayRef({b, s}));
      CHECK(std::isfinite(out.at("loss").item<double>()));
    } else {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask}});
      at::Tensor logits = out.at("logits");
      if (a == "RobertaForMaskedLM") CHECK(logits.sizes() == at::IntArrayRef({b, s, 400}));
      if (a == "RobertaForSequenceClassification") CHECK(logits.sizes() == at::IntArrayRef({b, 2}));
      if (a == "RobertaForTokenClassification") CHECK(logits.sizes() == at::IntArrayRef({b, s, 2}));
      CHECK(out.count("pooler_output") == 0);
    }
  }
}
