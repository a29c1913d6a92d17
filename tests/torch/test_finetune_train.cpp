// Fine-tuning end to end on real SST-2 sentences with a tiny BERT from random initialisation:
// overfitting a 16-example batch, determinism, save/reload, Ctrl-C, CLI errors.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "nlp/tasks/finetune.h"
#include "nlp/train/recipe.h"
#include "nlp/util/fs.h"
#include "support/shared.h"

using namespace nlp;
using Catch::Matchers::Contains;

namespace {

std::string tmpdir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("nlp_ft_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// The first `n` labelled rows of SST-2 train (real data) as a small TSV.
std::string sst2_head(const std::string& dir, int n) {
  std::ifstream in(test::shared_path("data/glue/SST-2/train.tsv"));
  std::string line, out;
  for (int i = 0; i <= n && std::getline(in, line); ++i) out += line + "\n";
  std::string p = dir + "/train16.tsv";
  std::ofstream(p) << out;
  return p;
}

train::Recipe tiny_recipe(const std::string& data_file, const std::string& extra = "") {
  std::string text = R"({"task": "glue", "task_name": "sst2",
    "train_file": ")" + data_file + R"(", "eval_file": ")" + data_file + R"(",
    "tokenizer": "${shared}/fixtures/tokenizers/bert-base-uncased",
    "model_config": {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 64, "max_position_embeddings": 64, "hidden_dropout_prob": 0.1,
                     "attention_probs_dropout_prob": 0.1},
    "max_seq_length": 64, "learning_rate": 0.003, "warmup_ratio": 0.1, "weight_decay": 0.0,
    "per_device_train_batch_size": 16, "per_device_eval_batch_size": 16, "max_steps": 60, "eval_steps": 30,
    "logging_steps": 10, "seed": 7)" + extra + "}";
  return train::parse_recipe(text, "tiny.json");
}

}  // namespace

TEST_CASE("a tiny BERT overfits 16 real SST-2 examples, and the saved folder reloads and predicts identically",
          "[finetune][train]") {
  const std::string dir = tmpdir("overfit");
  const std::string data = sst2_head(dir, 16);
  train::Recipe r = tiny_recipe(data);
  tasks::FinetuneOptions o;
  o.output_dir = dir + "/out";
  o.progress_bar = false;
  o.quiet = true;
  tasks::FinetuneReport rep = tasks::run_finetune(r, o);
  INFO("accuracy " << rep.metrics["eval_accuracy"] << " loss " << rep.metrics["eval_loss"]);
  CHECK(rep.metrics.at("eval_accuracy") > 0.95);
  CHECK(rep.train.global_step == 60);
  CHECK(rep.train.step_losses.front() > rep.train.step_losses.back());

  // the output folder is a loadable HF-format model with task files
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt", "eval_results.json", "eval_predictions.jsonl",
                        "metrics.jsonl", "train_results.json", "finetune_recipe.json"})
    CHECK(path_exists(path_join(o.output_dir, f)));
  json cfg = read_json_file(path_join(o.output_dir, "config.json"));
  CHECK(cfg["architectures"][0] == "BertForSequenceClassification");
  CHECK(cfg["id2label"]["1"] == "1");
  CHECK(cfg["label2id"]["0"] == 0);
  json er = read_json_file(path_join(o.output_dir, "eval_results.json"));
  CHECK(er["eval_accuracy"].get<double>() == rep.metrics.at("eval_accuracy"));
  CHECK(er.contains("eval_loss"));

  // reload: same metrics through nlp evaluate, same probabilities as the in-memory best model
  auto m = tasks::run_evaluate(o.output_dir, r);
  CHECK(m.at("eval_accuracy") == rep.metrics.at("eval_accuracy"));
  CHECK(m.at("eval_loss") == Approx(rep.metrics.at("eval_loss")).epsilon(1e-6));
  tasks::ResolvedModel a = tasks::load_finetuned(o.output_dir);
  tasks::ResolvedModel b = tasks::load_finetuned(o.output_dir);
  auto pa = tasks::predict_sequence(*a.model, *a.tokenizer, a.config, "a gorgeous , witty , seductive movie .", "", 64);
  auto pb = tasks::predict_sequence(*b.model, *b.tokenizer, b.config, "a gorgeous , witty , seductive movie .", "", 64);
  CHECK(pa.label == pb.label);
  CHECK(pa.probabilities == pb.probabilities);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the same seed gives the same losses; another seed does not", "[finetune][train]") {
  const std::string dir = tmpdir("seed");
  const std::string data = sst2_head(dir, 48);
  auto run = [&](long seed) {
    train::Recipe r = tiny_recipe(data, R"(, "max_steps": 6, "eval_steps": 0, "per_device_train_batch_size": 8)");
    train::apply_override(r, "seed=" + std::to_string(seed));
    tasks::FinetuneOptions o;
    o.output_dir = dir + "/out" + std::to_string(seed);
    o.progress_bar = false;
    o.quiet = true;
    return tasks::run_finetune(r, o).train.step_losses;
  };
  auto a = run(1), b = run(1), c = run(2);
  REQUIRE(a.size() == 6);
  CHECK(a == b);
  CHECK(a != c);
  std::filesystem::remove_all(dir);
}

TEST_CASE("nlp finetune reports unknown --set keys and malformed recipes clearly", "[finetune][cli]") {
  const std::string dir = tmpdir("cli");
  auto run = [&](const std::string& args) {
    std::string cmd = std::string(NLP_BINARY) + " finetune " + args + " > " + dir + "/out.txt 2>&1";
    int st = std::system(cmd.c_str());
    std::ifstream in(dir + "/out.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    return std::make_pair(WEXITSTATUS(st), ss.str());
  };
  const std::string recipe = std::string(NLP_SOURCE_DIR) + "/recipes/sst2-cpu.json";
  auto [rc, out] = run("--recipe " + recipe + " --set learnig_rate=1");
  CHECK(rc == 2);
  CHECK_THAT(out, Contains("learnig_rate") && Contains("valid keys") && Contains("learning_rate"));
  std::tie(rc, out) = run("--recipe " + recipe + " --set max_steps=ten");
  CHECK(rc == 2);
  CHECK_THAT(out, Contains("max_steps") && Contains("an integer"));
  std::ofstream(dir + "/bad.json") << "{\"task\": \"glue\", \"train_file\": }";
  std::tie(rc, out) = run("--recipe " + dir + "/bad.json");
  CHECK(rc == 2);
  CHECK_THAT(out, Contains("bad.json") && Contains("invalid JSON"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("Ctrl-C stops nlp finetune cleanly and leaves the last checkpoint loadable", "[finetune][cli]") {
  const std::string dir = tmpdir("sigint");
  const std::string out = dir + "/run";
  const std::string data = sst2_head(dir, 16);
  std::ofstream(dir + "/r.json") << tiny_recipe(data).values.dump();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string log = dir + "/log.txt";
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    ::dup2(STDOUT_FILENO, STDERR_FILENO);
    ::execl(NLP_BINARY, NLP_BINARY, "finetune", "--recipe", (dir + "/r.json").c_str(), "--output", out.c_str(), "--set",
            "max_steps=1000000", "--set", "eval_steps=5", "--no-progress", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // wait for the first checkpoint, then interrupt
  const auto t0 = std::chrono::steady_clock::now();
  while (!path_exists(out + "/eval_results.json") && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(path_exists(out + "/eval_results.json"));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, SIGINT);
  int st = 0;
  ::waitpid(pid, &st, 0);
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 130);
  tasks::ResolvedModel m = tasks::load_finetuned(out);
  CHECK(m.model->architecture() == "BertForSequenceClassification");
  json er = read_json_file(out + "/eval_results.json");
  CHECK(er.contains("eval_accuracy"));
  for (auto& e : std::filesystem::directory_iterator(out)) CHECK(e.path().string().find(".tmp.") == std::string::npos);
  std::filesystem::remove_all(dir);
}
