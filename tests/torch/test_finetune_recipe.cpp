// Recipes: schema checks, --set overrides, data and model resolution.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "nlp/train/recipe.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "support/shared.h"

using nlp::train::apply_override;
using nlp::train::parse_recipe;
using Catch::Matchers::Contains;

namespace {
std::string tmpdir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("nlp_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}
}  // namespace

TEST_CASE("every shipped recipe parses and validates", "[finetune][recipe]") {
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(std::string(NLP_SOURCE_DIR) + "/recipes")) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path().string());
    nlp::train::Recipe r = nlp::train::load_recipe(e.path().string());
    REQUIRE_NOTHROW(nlp::train::validate_recipe(r));
    ++n;
  }
  CHECK(n >= 18);
}

TEST_CASE("CPU recipes find their real data and tokenizer under the shared data root", "[finetune][recipe]") {
  for (const char* name : {"quickstart", "sst2-cpu", "mrpc-cpu", "cola-cpu", "stsb-cpu", "rte-cpu", "xquad-en-cpu",
                           "korquad-cpu", "storycloze-cpu", "conll2003-cpu"}) {
    INFO(name);
    auto r = nlp::train::load_recipe(std::string(NLP_SOURCE_DIR) + "/recipes/" + name + ".json");
    CHECK(nlp::path_exists(nlp::train::resolve_data_path(r, "train_file")));
    CHECK(r.values.at("model_config").is_object());
    CHECK(nlp::path_exists(nlp::path_join(nlp::train::resolve_model_dir(r, r.get<std::string>("tokenizer"), "tokenizer"), "vocab.txt")));
  }
}

TEST_CASE("recipe --set overrides are typed by the recipe's value", "[finetune][recipe]") {
  auto r = parse_recipe(R"({"task": "glue", "train_file": "glue/SST-2/train.tsv", "eval_file": "glue/SST-2/dev.tsv",
                            "model": "bert-base-uncased", "model_config": {"hidden_size": 128}})",
                        "r.json");
  apply_override(r, "learning_rate=3e-5");
  apply_override(r, "max_steps=200");
  apply_override(r, "seed=3");
  apply_override(r, "load_best_model_at_end=false");
  apply_override(r, "task_name=mrpc");
  apply_override(r, "model_config.hidden_size=256");
  apply_override(r, "model_config.num_hidden_layers=4");
  CHECK(r.get<double>("learning_rate") == Approx(3e-5));
  CHECK(r.get<long>("max_steps") == 200);
  CHECK(r.get<long>("seed") == 3);
  CHECK_FALSE(r.get<bool>("load_best_model_at_end"));
  CHECK(r.get<std::string>("task_name") == "mrpc");
  CHECK(r.values["model_config"]["hidden_size"] == 256);
  CHECK(r.values["model_config"]["num_hidden_layers"] == 4);
  // a number key accepts an integer literal, an integer key refuses a fraction
  apply_override(r, "num_train_epochs=2");
  CHECK(r.get<double>("num_train_epochs") == 2.0);
  CHECK_THROWS_WITH(apply_override(r, "max_steps=1.5"), Contains("--set max_steps") && Contains("an integer"));
  CHECK_THROWS_WITH(apply_override(r, "learning_rate=fast"), Contains("a number") && Contains("fast"));
  CHECK_THROWS_WITH(apply_override(r, "load_best_model_at_end=maybe"), Contains("a boolean"));
}

TEST_CASE("unknown keys and malformed recipes give clear errors", "[finetune][recipe]") {
  auto r = parse_recipe(R"({"task": "glue", "train_file": "a.tsv", "eval_file": "b.tsv", "model": "m"})", "r.json");
  CHECK_THROWS_WITH(apply_override(r, "learnin_rate=1e-3"),
                    Contains("unknown recipe key 'learnin_rate'") && Contains("valid keys") && Contains("learning_rate"));
  CHECK_THROWS_WITH(apply_override(r, "learning_rate"), Contains("expected key=value"));
  CHECK_THROWS_WITH(parse_recipe(R"({"task": "glue", "batch_size": 3})", "bad.json"),
                    Contains("bad.json") && Contains("unknown key 'batch_size'") && Contains("per_device_train_batch_size"));
  CHECK_THROWS_WITH(parse_recipe(R"({"task": "glue", "learning_rate": "2e-5"})", "bad.json"),
                    Contains("bad.json") && Contains("learning_rate") && Contains("a number"));
  CHECK_THROWS_WITH(parse_recipe("{\"task\": \"glue\",\n \"seed\": }", "bad.json"), Contains("bad.json") && Contains("invalid JSON"));
  CHECK_THROWS_WITH(parse_recipe("[1, 2]", "bad.json"), Contains("expected a JSON object"));
  auto bad_task = parse_recipe(R"({"task": "translation", "train_file": "a", "eval_file": "b", "model": "m"})", "t.json");
  CHECK_THROWS_WITH(nlp::train::validate_recipe(bad_task), Contains("t.json") && Contains("field 'task'"));
  auto bad_bs = parse_recipe(R"({"train_file": "a", "eval_file": "b", "model": "m", "per_device_train_batch_size": 0})", "t.json");
  CHECK_THROWS_WITH(nlp::train::validate_recipe(bad_bs), Contains("per_device_train_batch_size"));
  CHECK_THROWS_WITH(nlp::train::load_recipe("/nonexistent/recipe.json"), Contains("/nonexistent/recipe.json"));
}

TEST_CASE("data paths resolve under the data root and name the recipe key when missing", "[finetune][recipe]") {
  auto r = parse_recipe(R"({"train_file": "glue/SST-2/train.tsv", "eval_file": "glue/NOPE/dev.tsv", "model": "m"})", "r.json");
  CHECK(nlp::train::data_root(r) == nlp::path_join(nlp::shared_dir(), "data"));
  CHECK(nlp::train::resolve_data_path(r, "train_file") == nlp::path_join(nlp::shared_dir(), "data/glue/SST-2/train.tsv"));
  CHECK_THROWS_WITH(nlp::train::resolve_data_path(r, "eval_file"),
                    Contains("r.json") && Contains("eval_file") && Contains("glue/NOPE/dev.tsv") && Contains("data root"));
  apply_override(r, "data_root=/somewhere/else");
  CHECK(nlp::train::data_root(r) == "/somewhere/else");
}

TEST_CASE("hub ids resolve through the Hugging Face cache layout", "[finetune][recipe]") {
  const std::string home = tmpdir("hfhome");
  const std::string snap = home + "/hub/models--org--tiny-bert/snapshots/0123abcd";
  std::filesystem::create_directories(snap);
  std::filesystem::create_directories(home + "/hub/models--org--tiny-bert/snapshots/zzzold");
  std::filesystem::create_directories(home + "/hub/models--org--tiny-bert/refs");
  { std::ofstream(home + "/hub/models--org--tiny-bert/refs/main") << "0123abcd"; }
  const char* old = std::getenv("HF_HOME");
  std::string saved = old ? old : "";
  ::setenv("HF_HOME", home.c_str(), 1);
  ::unsetenv("HF_HUB_CACHE");
  auto r = parse_recipe(R"({"train_file": "a", "eval_file": "b", "model": "org/tiny-bert"})", "r.json");
  CHECK(nlp::train::resolve_model_dir(r, "org/tiny-bert", "model") == snap);
  CHECK_THROWS_WITH(nlp::train::resolve_model_dir(r, "bert-base-uncased", "r.json: field 'model'"),
                    Contains("r.json: field 'model'") && Contains("models--bert-base-uncased") &&
                        Contains("huggingface-cli download bert-base-uncased"));
  // a local folder wins; ${shared} expands
  CHECK(nlp::train::resolve_model_dir(r, "${shared}/fixtures/tokenizers/bert-base-uncased", "t") ==
        nlp::path_join(nlp::shared_dir(), "fixtures/tokenizers/bert-base-uncased"));
  if (old) ::setenv("HF_HOME", saved.c_str(), 1);
  else ::unsetenv("HF_HOME");
  std::filesystem::remove_all(home);
}
