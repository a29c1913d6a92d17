// ALBERT at Hugging Face parity (transformers 4.31 fixtures): every output within 1e-5 from both
// checkpoint formats; the layer-to-group mapping; the paper's shared-FFN / shared-attention variants.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "encoder_parity_util.h"
#include "nlp/models/albert.h"
#include "nlp/models/registry.h"
#include "nlp/util/error.h"

using namespace nlp;

static const char* kAlbertFixtures[] = {"albert-pretraining", "albert-model-2groups"};

TEST_CASE("ALBERT fixtures match transformers from model.safetensors", "[albert][parity]") {
  for (const char* name : kAlbertFixtures) test::check_hf_fixture(name, io::CheckpointFormat::Safetensors);
}

TEST_CASE("ALBERT fixtures match transformers from pytorch_model.bin", "[albert][parity][bin]") {
  for (const char* name : kAlbertFixtures) test::check_hf_fixture(name, io::CheckpointFormat::PytorchBin);
}

static models::AlbertConfig small_albert(json extra = json::object()) {
  json j = {{"model_type", "albert"},   {"vocab_size", 50},     {"embedding_size", 8}, {"hidden_size", 16},
            {"num_hidden_layers", 4},   {"num_attention_heads", 2}, {"intermediate_size", 20},
            {"max_position_embeddings", 16}};
  j.update(extra);
  return models::AlbertConfig::from_json(j, "test");
}

TEST_CASE("ALBERT maps layer applications to shared layers as transformers does", "[albert]") {
  using V = std::vector<int64_t>;
  // 4 layers, 2 groups of 2 inner layers: layers 0,1 -> group 0, layers 2,3 -> group 1.
  CHECK(models::albert_cross_layer_sharing(small_albert({{"num_hidden_groups", 2}, {"inner_group_num", 2}})) ==
        V{0, 1, 0, 1, 2, 3, 2, 3});
  CHECK(models::albert_cross_layer_sharing(small_albert()) == V{0, 0, 0, 0});  // all shared
  CHECK(models::albert_cross_layer_sharing(small_albert({{"num_hidden_groups", 4}})) == V{0, 1, 2, 3});  // none shared
  // int(i / (3 / 2)) with 3 layers and 2 groups: 0 -> 0, 1 -> 0, 2 -> 1.
  CHECK(models::albert_cross_layer_sharing(small_albert({{"num_hidden_layers", 3}, {"num_hidden_groups", 2}})) ==
        V{0, 0, 1});
  CHECK_THROWS_AS(small_albert({{"num_hidden_groups", 5}}), nlp::Error);
  CHECK_THROWS_AS(small_albert({{"cross_layer_sharing", "layers"}}), nlp::Error);
}

TEST_CASE("ALBERT shared-FFN and shared-attention variants share exactly that sublayer", "[albert]") {
  const int64_t h = 16, inter = 20, layers = 4;
  const int64_t ffn = h * inter + inter + inter * h + h, attn = 4 * (h * h + h);
  auto count = [](const models::AlbertConfig& c) { return models::num_parameters(models::AlbertModel(c)); };
  const int64_t none = count(small_albert({{"num_hidden_groups", 4}}));
  CHECK(count(small_albert()) == none - (layers - 1) * (ffn + attn + 4 * h));  // all shared
  CHECK(count(small_albert({{"cross_layer_sharing", "ffn"}})) == none - (layers - 1) * ffn);
  CHECK(count(small_albert({{"cross_layer_sharing", "attention"}})) == none - (layers - 1) * attn);

  models::AlbertModel m(small_albert({{"cross_layer_sharing", "ffn"}}));
  CHECK(m.encoder->layer(1)->ffn.ptr() == m.encoder->layer(0)->ffn.ptr());
  CHECK(m.encoder->layer(1)->self_attn.ptr() != m.encoder->layer(0)->self_attn.ptr());
  m.eval();
  torch::NoGradGuard g;
  auto out = m.forward({{"input_ids", torch::randint(0, 50, {2, 7}, torch::kLong)}}, {true, true});
  CHECK(out.at("last_hidden_state").sizes() == at::IntArrayRef({2, 7, h}));
  CHECK(out.count("hidden_states.4") == 1);
  CHECK(out.count("attentions.3") == 1);
  // The option survives config.json.
  CHECK(m.config_json().at("cross_layer_sharing") == "ffn");
  CHECK(models::AlbertConfig::from_json(m.config_json(), "saved").sharing == models::CrossLayerSharing::Ffn);
}

TEST_CASE("Every ALBERT head builds from a config and runs", "[albert]") {
  test::HfFixture f = test::load_hf_fixture("albert-model-2groups");
  json config = read_json_file(f.dir + "/config.json");
  const at::Tensor ids = f.inputs.at("input_ids"), mask = f.inputs.at("attention_mask");
  const int64_t b = ids.size(0), s = ids.size(1);
  torch::NoGradGuard g;
  for (const char* arch : {"AlbertForPreTraining", "AlbertForMaskedLM", "AlbertForSequenceClassification",
                           "AlbertForTokenClassification", "AlbertForQuestionAnswering", "AlbertForMultipleChoice"}) {
    INFO(arch);
    auto model = models::build_model(config, "albert-model-2groups/config.json", arch);
    model->eval();
    std::string a = arch;
    if (a == "AlbertForMultipleChoice") {
      auto out = model->forward({{"input_ids", ids.view({1, b, s})}, {"attention_mask", mask.view({1, b, s})}});
      CHECK(out.at("logits").sizes() == at::IntArrayRef({1, b}));
    } else if (a == "AlbertForQuestionAnswering") {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask}});
      CHECK(out.at("start_logits").sizes() == at::IntArrayRef({b, s}));
    } else if (a == "AlbertForPreTraining") {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask}, {"labels", ids},
                                 {"sentence_order_label", torch::zeros({b}, torch::kLong)}});
      CHECK(out.at("prediction_logits").sizes() == at::IntArrayRef({b, s, 300}));
      CHECK(out.at("sop_logits").sizes() == at::IntArrayRef({b, 2}));
      CHECK(std::isfinite(out.at("loss").item<double>()));
    } else {
      auto out = model->forward({{"input_ids", ids}, {"attention_mask", mask}});
      at::Tensor logits = out.at("logits");
      if (a == "AlbertForMaskedLM") CHECK(logits.sizes() == at::IntArrayRef({b, s, 300}));
      if (a == "AlbertForSequenceClassification") CHECK(logits.sizes() == at::IntArrayRef({b, 2}));
      if (a == "AlbertForTokenClassification") CHECK(logits.sizes() == at::IntArrayRef({b, s, 2}));
    }
  }
}

TEST_CASE("nlp forward reproduces the ALBERT and ELECTRA fixtures under their output names", "[albert][electra][cli]") {
  for (const char* name : {"albert-pretraining", "electra-discriminator", "roberta-mlm"}) {
    INFO(name);
    test::Fixture f = test::load_fixture(name);
    const std::string out_path = std::string("/tmp/nlp_encoders_forward_") + name + ".safetensors";
    const std::string cmd = std::string(NLP_BINARY) + " forward --model " + f.dir + " --inputs " + f.dir +
                            "/inputs_outputs.safetensors --output " + out_path + " --format bin";
    REQUIRE(std::system(cmd.c_str()) == 0);
    models::TensorMap got;
    for (auto& [key, t] : io::load_safetensors(out_path))
      if (key.rfind("output.", 0) == 0) got[key.substr(7)] = t;
    test::require_outputs_match(f.expected, got);
    std::remove(out_path.c_str());
  }
}
