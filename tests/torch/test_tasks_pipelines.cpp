// Every task pipeline runs end to end on its real data (a few steps on small subsets of the
// CPU recipes), writes a loadable folder with the right metric names, and `predict` works on it.
#include <catch2/catch.hpp>

#include <filesystem>

#include "nlp/tasks/finetune.h"
#include "nlp/train/recipe.h"
#include "nlp/util/fs.h"
#include "support/shared.h"

using namespace nlp;

namespace {

tasks::FinetuneReport quick_run(const std::string& recipe, const std::string& out, std::vector<std::string> sets = {}) {
  train::Recipe r = train::load_recipe(std::string(NLP_SOURCE_DIR) + "/recipes/" + recipe + ".json");
  for (const char* s : {"max_train_examples=32", "max_eval_examples=16", "max_steps=2", "eval_steps=0",
                        "model_config.hidden_size=32", "model_config.intermediate_size=64", "model_config.num_hidden_layers=1"})
    train::apply_override(r, s);
  for (auto& s : sets) train::apply_override(r, s);
  tasks::FinetuneOptions o;
  o.output_dir = out;
  o.progress_bar = false;
  o.quiet = true;
  return tasks::run_finetune(r, o);
}

std::string tmpdir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("nlp_tp_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

}  // namespace

TEST_CASE("GLUE pair classification and regression pipelines (MRPC, STS-B)", "[tasks][pipelines]") {
  const std::string d = tmpdir("glue");
  auto mrpc = quick_run("mrpc-cpu", d + "/mrpc");
  CHECK(mrpc.main_metric == "eval_f1");
  CHECK(mrpc.metrics.count("eval_accuracy"));
  auto stsb = quick_run("stsb-cpu", d + "/stsb");
  CHECK(stsb.metrics.count("eval_pearson"));
  CHECK(stsb.metrics.count("eval_spearmanr"));
  json cfg = read_json_file(d + "/stsb/config.json");
  CHECK(cfg["problem_type"] == "regression");
  CHECK(cfg["num_labels"] == 1);
  auto m = tasks::load_finetuned(d + "/stsb");
  auto p = tasks::predict_sequence(*m.model, *m.tokenizer, m.config, "A man is playing a flute.", "A man plays a flute.", 128);
  CHECK(p.label == -1);
  std::filesystem::remove_all(d);
}

TEST_CASE("SQuAD pipeline on XQuAD-en and KorQuAD (multilingual vocab)", "[tasks][pipelines]") {
  const std::string d = tmpdir("qa");
  auto x = quick_run("xquad-en-cpu", d + "/xquad");
  CHECK(x.metrics.count("eval_exact_match"));
  CHECK(x.metrics.count("eval_f1"));
  json preds = read_json_file(d + "/xquad/eval_predictions.json");
  CHECK(preds.size() == 16);
  auto k = quick_run("korquad-cpu", d + "/korquad");
  CHECK(k.metrics.count("eval_f1"));
  auto m = tasks::load_finetuned(d + "/korquad");
  const std::string ctx = "1989년 2월 15일 여의도 농민 폭력 시위를 주도한 혐의로 지명수배되었다.";
  tasks::QaOptions o;
  o.max_seq_length = 256;
  o.doc_stride = 64;
  auto a = tasks::predict_answer(*m.model, *m.tokenizer, "언제 지명수배되었나?", ctx, o);
  // the answer is a slice of the context at the reported code point offsets
  REQUIRE(a.start_char >= 0);
  CHECK(a.end_char > a.start_char);
  CHECK(ctx.find(a.text) != std::string::npos);
  std::filesystem::remove_all(d);
}

TEST_CASE("multiple choice (Story Cloze) and NER (CoNLL-2003) pipelines", "[tasks][pipelines]") {
  const std::string d = tmpdir("mcner");
  auto sc = quick_run("storycloze-cpu", d + "/sc");
  CHECK(sc.metrics.count("eval_accuracy"));
  auto mc = tasks::load_finetuned(d + "/sc");
  CHECK(mc.model->architecture() == "BertForMultipleChoice");
  auto c = tasks::predict_choice(*mc.model, *mc.tokenizer, "Tom was hungry. He went to the kitchen.",
                                 {"He made a sandwich.", "He flew to the moon."}, 128);
  CHECK((c.choice == 0 || c.choice == 1));
  CHECK(c.probabilities[0] + c.probabilities[1] == Approx(1.0));

  auto ner = quick_run("conll2003-cpu", d + "/ner");
  for (const char* k : {"eval_precision", "eval_recall", "eval_f1", "eval_accuracy"}) CHECK(ner.metrics.count(k));
  json cfg = read_json_file(d + "/ner/config.json");
  CHECK(cfg["id2label"]["1"] == "B-PER");
  auto mn = tasks::load_finetuned(d + "/ner");
  auto tags = tasks::predict_tokens(*mn.model, *mn.tokenizer, mn.config, "EU rejects German call to boycott British lamb .", 128);
  CHECK(tags.size() == 9);
  std::filesystem::remove_all(d);
}
