// Pretraining end to end on real text (the shared Wikipedia sample) with tiny models:
// kill-and-resume reproducibility, the saved folder loading for inference and fine-tuning,
// ELECTRA replaced-token-detection wiring, loss decreasing, recipe errors.
#include <catch2/catch.hpp>

#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "nlp/io/checkpoint.h"
#include "nlp/models/loading.h"
#include "nlp/pretrain/dataset.h"
#include "nlp/tokenizers/tokenizer.h"
#include "nlp/train/pretrain.h"
#include "nlp/train/pretrain_models.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "support/shared.h"

using namespace nlp;
using Catch::Matchers::Contains;

namespace {

std::string tmpdir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("nlp_pt_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// A tiny recipe over the real Wikipedia sample (tokenized once into a per-test-run cache).
train::Recipe tiny(const std::string& objective, const std::string& examples, const std::string& extra = "") {
  test::shared_path("data/corpus/wiki_00.txt");
  static const std::string cache = tmpdir("cache");
  std::string text = R"({"objective": ")" + objective + R"(", "examples": ")" + examples + R"(",
    "corpus_files": ["${shared}/data/corpus/wiki_00.txt"], "cache_dir": ")" + cache + R"(",
    "tokenizer": "${shared}/fixtures/tokenizers/bert-base-uncased",
    "model_config": {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 64, "max_position_embeddings": 64},
    "max_seq_length": 48, "per_device_train_batch_size": 8, "per_device_eval_batch_size": 16, "max_eval_examples": 32,
    "learning_rate": 0.002, "warmup_steps": 2, "max_steps": 12, "logging_steps": 4, "save_steps": 5,
    "validation_fraction": 0.1, "seed": 3)" + extra + "}";
  return train::parse_pretrain_recipe(text, objective + "-tiny.json");
}

train::PretrainOptions quiet(const std::string& dir, int64_t stop_after = 0) {
  train::PretrainOptions o;
  o.output_dir = dir;
  o.quiet = true;
  o.progress_bar = false;
  o.stop_after_step = stop_after;
  return o;
}

void check_resume(const train::Recipe& r, const std::string& name) {
  const std::string a = tmpdir(name + "_straight"), b = tmpdir(name + "_killed");
  train::PretrainReport straight = train::run_pretrain(r, quiet(a));
  REQUIRE(straight.global_step == 12);
  REQUIRE(straight.step_losses.size() == 12);
  // "Kill" after step 8: the last checkpoint is the one of step 5 (save_steps), steps 6-8 are lost.
  train::PretrainReport killed = train::run_pretrain(r, quiet(b, 8));
  REQUIRE(killed.interrupted);
  REQUIRE(killed.global_step == 8);
  for (int64_t s = 1; s <= 8; ++s) REQUIRE(killed.step_losses.at(s) == Approx(straight.step_losses.at(s)).margin(1e-6));
  train::PretrainReport resumed = train::run_pretrain(r, quiet(b));
  REQUIRE(resumed.start_step == 5);
  REQUIRE(resumed.global_step == 12);
  for (int64_t s = 6; s <= 12; ++s) {
    INFO("step " << s);
    CHECK(std::abs(resumed.step_losses.at(s) - straight.step_losses.at(s)) <= 1e-6);
  }
  for (auto& [k, v] : straight.eval_metrics) CHECK(resumed.eval_metrics.at(k) == Approx(v).margin(1e-5));
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

}  // namespace

TEST_CASE("kill and resume reproduces the uninterrupted losses (BERT MLM+NSP with dropout)", "[pretrain][resume]") {
  check_resume(tiny("mlm_nsp", "segment_pairs"), "nsp");
}

TEST_CASE("kill and resume reproduces the uninterrupted losses (ELECTRA: generator sampling + dropout)", "[pretrain][resume]") {
  check_resume(tiny("electra", "full_sentences", R"(, "model_config": {"model_type": "bert", "hidden_size": 32,
      "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64})"),
               "electra");
}

TEST_CASE("a resume with a changed recipe is refused with the field named", "[pretrain][resume]") {
  const std::string d = tmpdir("changed");
  train::run_pretrain(tiny("mlm", "full_sentences"), quiet(d, 5));
  REQUIRE(path_exists(d + "/checkpoint.safetensors"));
  train::Recipe r = tiny("mlm", "full_sentences");
  train::apply_pretrain_override(r, "learning_rate=0.01");
  REQUIRE_THROWS_WITH(train::run_pretrain(r, quiet(d)), Contains("learning_rate") && Contains("resume=false"));
  std::filesystem::remove_all(d);
}

TEST_CASE("nlp pretrain writes a Hugging Face folder that loads for inference and fine-tuning", "[pretrain][cli]") {
  const std::string d = tmpdir("cli");
  const std::string recipe = d + "/r.json";
  std::ofstream(recipe) << tiny("mlm_nsp", "segment_pairs").values.dump();
  const std::string cmd = std::string(NLP_BINARY) + " pretrain --recipe " + recipe + " --output " + d +
                          "/out --set max_steps=6 --set seed=5 --no-progress > " + d + "/log.txt 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string out = d + "/out";
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt", "metrics.jsonl", "pretrain_results.json"})
    REQUIRE(path_exists(out + "/" + f));
  json results = json::parse(read_file(out + "/pretrain_results.json"));
  CHECK(results.at("global_step") == 6);
  CHECK(results.contains("eval_loss_mlm"));
  CHECK(results.contains("unigram_baseline_mlm"));
  // metrics.jsonl: a training log line with per-objective losses and accuracies.
  bool saw_log = false;
  std::istringstream lines(read_file(out + "/metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line);
    if (j.contains("loss_mlm")) {
      saw_log = true;
      CHECK(j.contains("loss_nsp"));
      CHECK(j.contains("mlm_accuracy"));
      CHECK(j.contains("tokens_per_second"));
    }
  }
  CHECK(saw_log);

  // Inference: the folder loads as BertForPreTraining and as a bare BertModel.
  models::LoadedModel m = models::from_pretrained(out);
  CHECK(m.model->architecture() == "BertForPreTraining");
  tok::Tokenizer t = tok::Tokenizer::from_pretrained(out);
  tok::Encoding e = t.encode("The quick brown fox jumps over the lazy dog.");
  at::Tensor ids = torch::tensor(e.input_ids).unsqueeze(0);
  models::TensorMap o = m.model->forward({{"input_ids", ids}});
  CHECK(o.at("prediction_logits").size(2) == t.vocab_size());
  models::LoadOptions base;
  base.head = "base";
  CHECK(models::from_pretrained(out, base).model->architecture() == "BertModel");
  // ... and through `nlp forward`, whose logits equal the in-process ones.
  io::save_safetensors(d + "/in.safetensors", {{"input.input_ids", ids}});
  const std::string fw = std::string(NLP_BINARY) + " forward --model " + out + " --inputs " + d + "/in.safetensors --output " +
                         d + "/fw.safetensors > " + d + "/fw.txt 2>&1";
  REQUIRE(std::system(fw.c_str()) == 0);
  io::StateDict fwd = io::load_safetensors(d + "/fw.safetensors");
  REQUIRE(fwd.count("output.prediction_logits") == 1);
  CHECK(torch::allclose(fwd.at("output.prediction_logits"), o.at("prediction_logits"), 1e-5, 1e-5));

  // Fine-tuning from it: nlp finetune on a slice of SST-2 (the pretrained encoder is loaded,
  // only the classifier is new).
  test::shared_path("data/glue/SST-2/train.tsv");
  const std::string ft = std::string(NLP_BINARY) + " finetune --recipe " + std::string(NLP_SOURCE_DIR) +
                         "/recipes/sst2-cpu.json --output " + d + "/ft --set model=" + out +
                         " --set model_config=null --set tokenizer= --set max_steps=3 --set max_train_examples=48"
                         " --set max_eval_examples=32 --set eval_steps=0 --no-progress > " + d + "/ft.txt 2>&1";
  int rc = std::system(ft.c_str());
  INFO(read_file(d + "/ft.txt"));
  REQUIRE(rc == 0);
  CHECK(path_exists(d + "/ft/model.safetensors"));
  CHECK_THAT(read_file(d + "/ft/config.json"), Contains("BertForSequenceClassification"));
  std::filesystem::remove_all(d);
}

TEST_CASE("ELECTRA: discriminator labels come from the sampled tokens; no gradient through sampling; shared embeddings get both losses",
          "[pretrain][electra]") {
  // A real batch from the Wikipedia sample.
  train::Recipe r = tiny("electra", "full_sentences");
  auto tokenizer = tok::Tokenizer::from_pretrained(test::shared_path("fixtures/tokenizers/bert-base-uncased"));
  std::ifstream in(test::shared_path("data/corpus/wiki_00.txt"));
  std::vector<pretrain::TrainingExample> exs;
  pretrain::SpecialTokens sp;
  sp.cls = static_cast<int32_t>(tokenizer.cls_token_id());
  sp.sep = static_cast<int32_t>(tokenizer.sep_token_id());
  sp.mask = static_cast<int32_t>(tokenizer.mask_token_id());
  sp.pad = static_cast<int32_t>(tokenizer.pad_token_id());
  sp.vocab_size = tokenizer.vocab_size();
  pretrain::MaskingConfig mc;
  mc.mlm_probability = 0.3;
  pretrain::Rng rng(11);
  for (std::string line; exs.size() < 6 && std::getline(in, line);) {
    if (line.size() < 80 || line[0] == '<') continue;
    tok::Encoding e = tokenizer.encode(line.substr(0, 200));
    pretrain::Sequence s;
    for (size_t i = 0; i < e.input_ids.size(); ++i) {
      s.input_ids.push_back(static_cast<int32_t>(e.input_ids[i]));
      s.token_type_ids.push_back(0);
      s.special_tokens_mask.push_back(tokenizer.is_special_id(e.input_ids[i]) ? 1 : 0);
      s.word_start.push_back(1);
    }
    pretrain::MaskedSequence m = pretrain::apply_masking(s, sp, mc, rng);
    pretrain::TrainingExample ex;
    ex.input_ids = m.input_ids;
    ex.token_type_ids = s.token_type_ids;
    ex.labels = m.labels;
    exs.push_back(ex);
  }
  models::TensorMap batch = train::batch_tensors(pretrain::collate(exs, sp.pad));
  const at::Tensor& labels = batch.at("labels");
  REQUIRE((labels != -100).sum().item<int64_t>() > 10);

  json cfg = {{"model_type", "bert"}, {"vocab_size", sp.vocab_size}, {"hidden_size", 32}, {"num_hidden_layers", 1},
              {"num_attention_heads", 4}, {"intermediate_size", 64}, {"max_position_embeddings", 128}};
  torch::manual_seed(1);
  train::PretrainingModelOptions o;
  o.objective = "electra";
  auto base = train::build_pretraining_model(cfg, "cfg", o);
  auto* el = dynamic_cast<train::ElectraPretraining*>(base.get());
  REQUIRE(el != nullptr);
  CHECK(el->generator_config.hidden_size == 8);  // 1/4 of the discriminator
  CHECK(el->generator_config.num_attention_heads == 1);
  CHECK(el->generator_config.intermediate_size == 16);
  el->train();
  train::ObjectiveOutput out = el->forward(batch);

  // Labels: 1 exactly where the discriminator input differs from the original token.
  at::Tensor original = torch::where(labels != -100, labels, batch.at("input_ids"));
  at::Tensor active = batch.at("attention_mask") == 1;
  at::Tensor expect = (el->last_disc_input_ids != original).to(torch::kLong);
  CHECK(torch::equal(el->last_disc_labels.masked_select(active), expect.masked_select(active)));
  CHECK((el->last_disc_labels.masked_select(~active) == -100).all().item<bool>());
  // Unmasked positions keep their original token; a masked position holds a generator sample,
  // which (for an untrained generator) is mostly not the original.
  at::Tensor unmasked = (labels == -100) & active;
  CHECK(torch::equal(el->last_disc_input_ids.masked_select(unmasked), original.masked_select(unmasked)));
  const int64_t replaced = el->last_disc_labels.masked_select(active).sum().item<int64_t>();
  CHECK(replaced > 0);
  CHECK(replaced <= (labels != -100).sum().item<int64_t>());
  CHECK(out.counts.at("disc_replaced") == Approx(static_cast<double>(replaced)));
  // loss = MLM + 50 * disc.
  CHECK(out.loss.item<double>() == Approx(out.losses.at("mlm") + 50.0 * out.losses.at("disc")).epsilon(1e-5));

  auto grad_norm = [](const at::Tensor& t) { return t.grad().defined() ? t.grad().norm().item<double>() : 0.0; };
  const at::Tensor& emb = el->discriminator->embeddings->word_embeddings->weight;
  const at::Tensor& gen_w = el->generator_encoder->layer(0)->ffn->fc1->weight;
  const at::Tensor& disc_w = el->discriminator->encoder->layer(0)->ffn->fc1->weight;
  // The discriminator loss alone: nothing reaches the generator (sampling is not differentiable),
  // the shared embeddings and the discriminator get gradients.
  el->zero_grad();
  out.terms.at("disc").backward({}, /*retain_graph=*/true);
  CHECK(grad_norm(gen_w) == 0.0);
  CHECK(grad_norm(el->generator_head->dense->weight) == 0.0);
  CHECK(grad_norm(emb) > 0.0);
  CHECK(grad_norm(disc_w) > 0.0);
  // The MLM loss alone reaches the generator and the same shared embeddings, not the discriminator encoder.
  el->zero_grad();
  out.terms.at("mlm").backward();
  CHECK(grad_norm(gen_w) > 0.0);
  CHECK(grad_norm(emb) > 0.0);
  CHECK(grad_norm(disc_w) == 0.0);
}

TEST_CASE("pretraining losses fall over a few steps on real text", "[pretrain][train]") {
  for (const auto& [objective, examples] : std::vector<std::pair<std::string, std::string>>{
           {"mlm_nsp", "segment_pairs"}, {"span_sbo", "full_sentences"}}) {
    INFO(objective);
    const std::string d = tmpdir("fall_" + objective);
    train::Recipe r = tiny(objective, examples, objective == "span_sbo" ? R"(, "mask_unit": "span")" : "");
    train::apply_pretrain_override(r, "max_steps=30");
    train::apply_pretrain_override(r, "learning_rate=0.005");
    train::apply_pretrain_override(r, "save_steps=0");
    train::PretrainReport rep = train::run_pretrain(r, quiet(d));
    double first = 0, last = 0;
    for (int64_t s = 1; s <= 3; ++s) first += rep.step_losses.at(s) / 3;
    for (int64_t s = 28; s <= 30; ++s) last += rep.step_losses.at(s) / 3;
    CHECK(last < first - 1.0);
    CHECK(rep.eval_metrics.at("eval_loss_mlm") < std::log(30522.0));
    if (objective == "span_sbo") CHECK(rep.eval_metrics.count("eval_loss_sbo") == 1);
    std::filesystem::remove_all(d);
  }
}

TEST_CASE("pretraining recipes: every shipped recipe parses and validates; bad keys and values are named",
          "[pretrain][recipe]") {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(NLP_SOURCE_DIR) + "/recipes/pretrain")) {
    INFO(e.path().string());
    train::Recipe r = train::load_pretrain_recipe(e.path().string());
    train::apply_pretrain_override(r, "max_steps=7");
    train::apply_pretrain_override(r, "seed=9");
    CHECK_NOTHROW(train::validate_pretrain_recipe(r));
    ++n;
  }
  CHECK(n >= 14);
  REQUIRE_THROWS_WITH(train::parse_pretrain_recipe(R"({"objectiv": "mlm"})", "x.json"), Contains("unknown key 'objectiv'"));
  train::Recipe r = tiny("mlm", "full_sentences");
  REQUIRE_THROWS_WITH(train::apply_pretrain_override(r, "max_steps=ten"), Contains("--set max_steps") && Contains("an integer"));
  train::apply_pretrain_override(r, "objective=mlm_nsp");
  REQUIRE_THROWS_WITH(train::validate_pretrain_recipe(r), Contains("field 'examples'") && Contains("segment_pairs"));
}
