// Checkpoint key mapping, save_pretrained round trips and configuration errors for BERT.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "bert_test_util.h"
#include "io_test_util.h"
#include "nlp/heads/heads.h"
#include "nlp/models/bert.h"
#include "nlp/models/loading.h"
#include "nlp/models/registry.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

using namespace nlp;
using Catch::Matchers::Contains;

static const char* kBertFixtures[] = {"bert-model", "bert-pretraining", "bert-seqcls-gelu-new",
                                      "bert-qa-relu", "bert-multiple-choice", "bert-token-cls"};

static std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const nlp::Error& e) {
    return e.what();
  }
  return "(no nlp::Error thrown)";
}

TEST_CASE("save_pretrained reloads bit-identically and drops tied duplicates", "[bert][save]") {
  for (const char* name : kBertFixtures) {
    INFO(name);
    test::Fixture f = test::load_fixture(name);
    auto a = models::from_pretrained(f.dir);
    test::TempDir tmp;
    models::save_pretrained(*a.model, tmp.path());
    // Same keys as transformers' model.safetensors (tied duplicates dropped).
    std::set<std::string> saved, want;
    for (auto& [k, t] : io::load_safetensors(tmp.file("model.safetensors"))) saved.insert(k);
    for (auto& k : f.meta.at("keys_in_model_safetensors")) want.insert(k.get<std::string>());
    CHECK(saved == want);
    auto b = models::from_pretrained(tmp.path());
    CHECK(b.model->architecture() == a.model->architecture());
    CHECK(b.report.newly_initialized.empty());
    auto pa = a.model->named_parameters(), pb = b.model->named_parameters();
    REQUIRE(pa.size() == pb.size());
    for (const auto& item : pa) {
      INFO(item.key());
      REQUIRE(pb.contains(item.key()));
      CHECK(torch::equal(item.value(), pb[item.key()]));
    }
    torch::NoGradGuard g;
    test::require_outputs_match(f.expected, b.model->forward(f.inputs, {true, true}));
  }
}

TEST_CASE("a bare BertModel checkpoint loads into a task model with the head newly initialised", "[bert][load]") {
  test::Fixture f = test::load_fixture("bert-model");
  json config = read_json_file(f.dir + "/config.json");
  auto model = models::build_model(config, "config.json", "BertForSequenceClassification");
  auto report = models::load_state_dict(*model, io::load_safetensors(f.dir + "/model.safetensors"), "model.safetensors");
  const std::vector<std::string> fresh = {"classifier.bias", "classifier.weight"};
  CHECK(report.newly_initialized == fresh);
  CHECK(report.unexpected.empty());
  model->eval();
  torch::NoGradGuard g;
  auto out = model->forward(f.inputs);
  CHECK((out.at("last_hidden_state") - f.expected.at("last_hidden_state")).abs().max().item<double>() <= 1e-5);
  CHECK(out.at("logits").sizes() == at::IntArrayRef({2, 2}));
}

TEST_CASE("head=base on a task checkpoint strips the prefix and lists the head keys as unexpected", "[bert][load]") {
  test::Fixture f = test::load_fixture("bert-pretraining");
  models::LoadOptions opt;
  opt.head = "base";
  auto m = models::from_pretrained(f.dir, opt);
  CHECK(m.model->architecture() == "BertModel");
  CHECK_FALSE(m.report.unexpected.empty());
  for (const auto& k : m.report.unexpected) CHECK(k.rfind("cls.", 0) == 0);
  torch::NoGradGuard g;
  auto out = m.model->forward(f.inputs, {true, true});
  models::TensorMap base;
  for (auto& [k, t] : f.expected)
    if (k == "last_hidden_state" || k == "pooler_output" || k.rfind("hidden_states.", 0) == 0 || k.rfind("attentions.", 0) == 0)
      base[k] = t;
  test::require_outputs_match(base, out);
  CHECK(out.count("prediction_logits") == 0);
}

TEST_CASE("legacy gamma/beta names, float16/bfloat16 weights and position_ids buffers load", "[bert][load]") {
  test::Fixture f = test::load_fixture("bert-pretraining");
  io::StateDict original = io::load_pytorch_bin(f.dir + "/pytorch_model.bin");
  io::StateDict legacy;
  for (auto& [k, t] : original) {
    std::string key = k;
    if (key.size() > 17 && key.compare(key.size() - 17, 17, ".LayerNorm.weight") == 0) key = key.substr(0, key.size() - 6) + "gamma";
    if (key.size() > 15 && key.compare(key.size() - 15, 15, ".LayerNorm.bias") == 0) key = key.substr(0, key.size() - 4) + "beta";
    legacy[key] = t;
  }
  legacy["bert.embeddings.position_ids"] = torch::arange(64).unsqueeze(0);
  json config = read_json_file(f.dir + "/config.json");
  auto model = models::build_model(config, "config.json");
  auto report = models::load_state_dict(*model, legacy, "legacy.bin");
  CHECK_FALSE(report.renamed.empty());
  CHECK(report.unexpected.empty());
  CHECK(std::find(report.ignored.begin(), report.ignored.end(), "bert.embeddings.position_ids") != report.ignored.end());
  model->eval();
  torch::NoGradGuard g;
  test::require_outputs_match(f.expected, model->forward(f.inputs, {true, true}));

  for (auto dtype : {torch::kHalf, torch::kBFloat16}) {
    io::StateDict low;
    for (auto& [k, t] : original) low[k] = t.to(dtype);
    auto m = models::build_model(config, "config.json");
    models::load_state_dict(*m, low, "low.safetensors");
    for (auto& [name, p] : models::hf_named_parameters(*m)) {
      INFO(name);
      CHECK(p.scalar_type() == torch::kFloat);
      CHECK(torch::equal(p, low.at(name).to(torch::kFloat)));
    }
  }
}

TEST_CASE("a wrong-shaped parameter names the key and both shapes", "[bert][load][errors]") {
  test::Fixture f = test::load_fixture("bert-qa-relu");
  io::StateDict sd = io::load_safetensors(f.dir + "/model.safetensors");
  sd["bert.encoder.layer.1.intermediate.dense.weight"] = torch::zeros({36, 32});
  auto model = models::build_model(read_json_file(f.dir + "/config.json"), "config.json");
  std::string msg = error_of([&] { models::load_state_dict(*model, sd, "bad.safetensors"); });
  CHECK_THAT(msg, Contains("bad.safetensors") && Contains("bert.encoder.layer.1.intermediate.dense.weight") &&
                      Contains("[36, 32]") && Contains("[37, 32]"));
}

TEST_CASE("a missing backbone parameter is an error naming it", "[bert][load][errors]") {
  test::Fixture f = test::load_fixture("bert-token-cls");
  io::StateDict sd = io::load_safetensors(f.dir + "/model.safetensors");
  sd.erase("bert.encoder.layer.2.attention.self.key.bias");
  auto model = models::build_model(read_json_file(f.dir + "/config.json"), "config.json");
  std::string msg = error_of([&] { models::load_state_dict(*model, sd, "x.safetensors"); });
  CHECK_THAT(msg, Contains("x.safetensors") && Contains("missing 1 parameter") &&
                      Contains("bert.encoder.layer.2.attention.self.key.bias"));
}

TEST_CASE("bad config.json values give errors naming the file, field and allowed values", "[bert][config][errors]") {
  test::Fixture f = test::load_fixture("bert-model");
  const json good = read_json_file(f.dir + "/config.json");
  auto err = [&](const std::string& field, const json& value) {
    json j = good;
    j[field] = value;
    return error_of([&] { models::build_model(j, "m/config.json"); });
  };
  CHECK_THAT(err("hidden_act", "gelu_foo"), Contains("m/config.json") && Contains("hidden_act") && Contains("gelu_new") &&
                                                Contains("gelu_foo"));
  CHECK_THAT(err("position_embedding_type", "relative_key"),
             Contains("position_embedding_type") && Contains("absolute") && Contains("relative_key"));
  CHECK_THAT(err("num_attention_heads", 5), Contains("hidden_size") && Contains("num_attention_heads"));
  CHECK_THAT(err("num_hidden_layers", "three"), Contains("num_hidden_layers") && Contains("integer"));
  CHECK_THAT(err("vocab_size", 0), Contains("vocab_size") && Contains("positive"));
  CHECK_THAT(err("hidden_dropout_prob", 1.5), Contains("hidden_dropout_prob") && Contains("[0, 1)"));
  CHECK_THAT(err("problem_type", "ranking"), Contains("problem_type") && Contains("multi_label_classification"));
  CHECK_THAT(err("is_decoder", true), Contains("is_decoder"));
  CHECK_THAT(err("model_type", "bort"), Contains("model_type") && Contains("bert") && Contains("bort"));
  CHECK_THAT(err("architectures", json::array({"BertForNextSentencePrediction"})),
             Contains("architectures") && Contains("BertForQuestionAnswering"));
  // Missing optional fields take transformers' defaults.
  json minimal = {{"model_type", "bert"}, {"hidden_size", 32}, {"num_attention_heads", 4}, {"num_hidden_layers", 1},
                  {"intermediate_size", 8}, {"vocab_size", 10}};
  auto c = models::BertConfig::from_json(minimal, "min/config.json");
  CHECK(c.hidden_act == "gelu");
  CHECK(c.max_position_embeddings == 512);
  CHECK(c.layer_norm_eps == 1e-12);
  CHECK(c.common.num_labels == 2);
  CHECK(c.head_dropout() == 0.1);
}

TEST_CASE("published BERT configurations have transformers' parameter counts", "[bert][config]") {
  // transformers: BertModel(bert-base-uncased) 109,482,240; bert-large-uncased 335,141,888.
  CHECK(models::num_parameters(*models::build_model(models::named_config("bert-base"), "bert-base", "BertModel")) ==
        109482240);
  CHECK(models::num_parameters(*models::build_model(models::named_config("bert-large"), "bert-large", "BertModel")) ==
        335141888);
}

TEST_CASE("sequence classification losses follow transformers' problem_type choice", "[bert][heads]") {
  auto logits = torch::tensor({{0.5, -1.0, 2.0}, {0.1, 0.2, -0.3}});
  // single label (integer labels)
  auto labels = torch::tensor({2, 0}, torch::kLong);
  CHECK(heads::resolve_problem_type("", 3, labels) == "single_label_classification");
  double ce = heads::sequence_classification_loss(logits, labels, 3, "").item<double>();
  double want = 0.0;
  for (int i = 0; i < 2; ++i) want -= torch::log_softmax(logits[i], 0)[labels[i].item<int64_t>()].item<double>();
  CHECK(ce == Approx(want / 2).epsilon(1e-6));
  // multi label (float labels)
  auto multi = torch::tensor({{1.0, 0.0, 1.0}, {0.0, 0.0, 1.0}});
  CHECK(heads::resolve_problem_type("", 3, multi) == "multi_label_classification");
  double bce = heads::sequence_classification_loss(logits, multi, 3, "").item<double>();
  auto p = torch::sigmoid(logits);
  double want_bce = -(multi * torch::log(p) + (1 - multi) * torch::log(1 - p)).mean().item<double>();
  CHECK(bce == Approx(want_bce).epsilon(1e-5));
  // regression (num_labels == 1)
  auto r = torch::tensor({{0.5}, {2.0}});
  auto y = torch::tensor({1.0, 1.0});
  CHECK(heads::resolve_problem_type("", 1, y) == "regression");
  CHECK(heads::sequence_classification_loss(r, y, 1, "").item<double>() == Approx((0.25 + 1.0) / 2));
  // QA: positions past the sequence are clamped to seq_len and ignored.
  auto start = torch::tensor({{0.0, 1.0, 2.0}}), end = torch::tensor({{2.0, 1.0, 0.0}});
  double qa = heads::span_extraction_loss(start, end, torch::tensor({1}), torch::tensor({0})).item<double>();
  double want_qa = (-torch::log_softmax(start[0], 0)[1].item<double>() - torch::log_softmax(end[0], 0)[0].item<double>()) / 2;
  CHECK(qa == Approx(want_qa).epsilon(1e-6));
}

TEST_CASE("bad forward inputs give errors naming the input", "[bert][errors]") {
  test::Fixture f = test::load_fixture("bert-seqcls-gelu-new");
  auto m = models::from_pretrained(f.dir);
  torch::NoGradGuard g;
  auto inputs = f.inputs;
  inputs["input_ids"] = inputs["input_ids"].clone();
  inputs["input_ids"][0][0] = 512;
  CHECK_THAT(error_of([&] { m.model->forward(inputs); }), Contains("input_ids") && Contains("vocab_size"));
  inputs = f.inputs;
  inputs.erase("input_ids");
  CHECK_THAT(error_of([&] { m.model->forward(inputs); }), Contains("input_ids"));
  inputs = f.inputs;
  inputs["input_ids"] = torch::zeros({1, 65}, torch::kLong);
  inputs.erase("attention_mask");
  inputs.erase("token_type_ids");
  CHECK_THAT(error_of([&] { m.model->forward(inputs); }), Contains("max_position_embeddings"));
}
