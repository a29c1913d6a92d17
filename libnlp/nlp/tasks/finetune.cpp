#include "nlp/tasks/finetune.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "nlp/io/checkpoint.h"
#include "nlp/models/loading.h"
#include "nlp/models/registry.h"
#include "nlp/tasks/task_util.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tasks {

namespace {

const char* kTokenizerFiles[] = {"vocab.txt",       "tokenizer_config.json", "special_tokens_map.json",
                                 "added_tokens.json", "tokenizer.json",       "vocab.json",
                                 "merges.txt",        "spiece.model",         "sentencepiece.bpe.model"};

void copy_tokenizer_files(const std::string& from, const std::string& to) {
  if (std::filesystem::equivalent(from, to)) return;
  for (const char* f : kTokenizerFiles) {
    std::string src = path_join(from, f);
    if (path_exists(src)) write_file_atomic(path_join(to, f), read_file(src));
  }
}

std::string fmt_g(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

std::string task_architecture(const std::string& model_type, const std::string& head) {
  std::string known;
  for (const auto& e : models::registered_architectures()) {
    if (e.model_type != model_type) continue;
    known += (known.empty() ? "" : ", ") + e.architecture;
    if (e.architecture.size() >= head.size() && e.architecture.compare(e.architecture.size() - head.size(), head.size(), head) == 0)
      return e.architecture;
  }
  if (known.empty()) fail("model_type '" + model_type + "'", "no architectures registered for this model type");
  fail("model_type '" + model_type + "'", "no *" + head + " architecture (available: " + known + ")");
}

ResolvedModel resolve_model(const train::Recipe& r, const FinetuneTask* task) {
  ResolvedModel m;
  const json& mc = r.values.at("model_config");
  std::string model_dir;
  if (mc.is_null()) model_dir = train::resolve_model_dir(r, r.get<std::string>("model"), r.source + ": field 'model'");
  std::string tspec = r.get<std::string>("tokenizer");
  m.tokenizer_dir = tspec.empty() ? model_dir : train::resolve_model_dir(r, tspec, r.source + ": field 'tokenizer'");
  if (m.tokenizer_dir.empty()) fail(r.source, "field 'tokenizer': required when the model is trained from model_config");
  m.tokenizer = std::make_shared<tok::Tokenizer>(tok::Tokenizer::from_pretrained(m.tokenizer_dir));

  json cfg;
  std::string source;
  if (!mc.is_null()) {
    m.from_scratch = true;
    cfg = mc;
    source = r.source + ": model_config";
    if (!cfg.contains("model_type")) cfg["model_type"] = "bert";
    if (!cfg.contains("vocab_size")) cfg["vocab_size"] = m.tokenizer->vocab_size();
    if (!cfg.contains("pad_token_id") && m.tokenizer->pad_token_id() >= 0) cfg["pad_token_id"] = m.tokenizer->pad_token_id();
    if (cfg["vocab_size"].is_number_integer() && cfg["vocab_size"].get<int64_t>() < m.tokenizer->vocab_size())
      fail(source, "field 'vocab_size': " + cfg["vocab_size"].dump() + " is smaller than the tokenizer's vocabulary (" +
                       std::to_string(m.tokenizer->vocab_size()) + ")");
  } else {
    source = path_join(model_dir, "config.json");
    if (!path_exists(source)) fail(model_dir, "not a model folder: config.json is missing");
    cfg = read_json_file(source);
  }
  if (!cfg.contains("model_type") || !cfg["model_type"].is_string()) fail(source, "field 'model_type': expected a string");
  std::string arch;
  if (task) {
    arch = task_architecture(cfg["model_type"].get<std::string>(), task->head());
    task->configure_model(cfg);
    cfg["architectures"] = json::array({arch});
  } else {
    arch = "auto";
  }
  // Seeded so that a from-scratch model (and a newly initialised head) is the same for a seed.
  torch::manual_seed(static_cast<uint64_t>(r.get<long>("seed")));
  m.model = models::build_model(cfg, source, arch);
  if (!m.from_scratch) {
    io::LoadedCheckpoint ck = io::load_checkpoint_dir(model_dir);
    models::LoadReport rep = models::load_state_dict(*m.model, ck.tensors, model_dir);
    m.newly_initialized = rep.newly_initialized;
  }
  m.config = m.model->config_json();
  return m;
}

ResolvedModel load_finetuned(const std::string& dir) {
  ResolvedModel m;
  models::LoadedModel lm = models::from_pretrained(dir);
  m.model = lm.model;
  m.config = m.model->config_json();
  m.tokenizer_dir = dir;
  m.tokenizer = std::make_shared<tok::Tokenizer>(tok::Tokenizer::from_pretrained(dir));
  return m;
}

FinetuneReport run_finetune(const train::Recipe& recipe, const FinetuneOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  train::validate_recipe(recipe);
  FinetuneReport rep;
  rep.output_dir = !opt.output_dir.empty() ? opt.output_dir : recipe.get<std::string>("output_dir");
  if (rep.output_dir.empty()) rep.output_dir = path_join("runs", recipe.name);
  auto say = [&](const std::string& s) {
    if (!opt.quiet) std::cout << s << std::endl;
  };
  if (recipe.get<long>("threads") > 0) torch::set_num_threads(static_cast<int>(recipe.get<long>("threads")));

  // Tokenizer first (the task needs it), then the data, then the model sized for the task.
  train::validate_recipe(recipe);
  std::string tspec = recipe.get<std::string>("tokenizer");
  std::string tdir;
  if (!tspec.empty()) tdir = train::resolve_model_dir(recipe, tspec, recipe.source + ": field 'tokenizer'");
  else if (recipe.values.at("model_config").is_null())
    tdir = train::resolve_model_dir(recipe, recipe.get<std::string>("model"), recipe.source + ": field 'model'");
  else fail(recipe.source, "field 'tokenizer': required when the model is trained from model_config");
  auto tokp = std::make_shared<tok::Tokenizer>(tok::Tokenizer::from_pretrained(tdir));
  const auto td = std::chrono::steady_clock::now();
  std::unique_ptr<FinetuneTask> task = make_task(recipe, tokp, true);
  say("[data] " + task->describe() + " (" + fmt_fixed(seconds_since(td), 1) + "s to read and tokenize)");
  if (task->num_train_examples() == 0) fail(recipe.source, "no training examples");

  ResolvedModel rm = resolve_model(recipe, task.get());
  rep.from_scratch = rm.from_scratch;
  const int64_t nparams = models::num_parameters(*rm.model);
  if (rm.from_scratch)
    say("[model] " + rm.model->architecture() + " trained FROM RANDOM INITIALISATION (no pretrained checkpoint): " +
        std::to_string(nparams) + " parameters, config from " + recipe.source + ", tokenizer " + tdir);
  else
    say("[model] " + rm.model->architecture() + " from " +
        train::resolve_model_dir(recipe, recipe.get<std::string>("model"), "model") + ": " + std::to_string(nparams) +
        " parameters" + (rm.newly_initialized.empty() ? "" : ", newly initialised: " + [&] {
          std::string s;
          for (auto& n : rm.newly_initialized) s += (s.empty() ? "" : ", ") + n;
          return s;
        }()));

  std::filesystem::create_directories(rep.output_dir);
  copy_tokenizer_files(tdir, rep.output_dir);
  json resolved = recipe.values;
  resolved["recipe_source"] = recipe.source;
  write_json_atomic(path_join(rep.output_dir, "finetune_recipe.json"), resolved);

  train::TrainingArguments args = train::TrainingArguments::from_recipe(recipe, rep.output_dir);
  if (args.metric_for_best_model.empty()) args.metric_for_best_model = task->main_metric();
  args.progress_bar = opt.progress_bar;
  rep.main_metric = args.metric_for_best_model;
  say("[train] lr " + fmt_g(args.learning_rate) + ", batch " + std::to_string(args.per_device_train_batch_size) +
      " x " + std::to_string(args.gradient_accumulation_steps) + ", epochs " + fmt_fixed(args.num_train_epochs, 2) +
      (args.max_steps > 0 ? ", max_steps " + std::to_string(args.max_steps) : "") + ", seed " + std::to_string(args.seed) +
      ", threads " + std::to_string(torch::get_num_threads()) + ", output " + rep.output_dir);

  const std::string out = rep.output_dir;
  FinetuneTask* tp = task.get();
  auto save = [out, tp](models::PretrainedModel& model, const train::EvalOutput& ev, int64_t step) {
    models::save_pretrained(model, out);  // config.json + model.safetensors, each atomic
    json er = json::object();
    for (auto& [k, v] : ev.metrics) er[k] = v;
    er["step"] = step;
    write_json_atomic(path_join(out, "eval_results.json"), er);
    tp->write_predictions(ev, out);
  };
  train::Trainer trainer(args, rm.model);
  rep.train = trainer.train(*task, save);
  rep.metrics = rep.train.best_metrics;
  rep.baseline = task->baseline();
  if (!rep.train.interrupted && rep.train.best_step >= 0) {
    json er = json::object();
    for (auto& [k, v] : rep.metrics) er[k] = v;
    er["epoch"] = rep.train.epoch;
    er["step"] = rep.train.best_step;
    er["eval_samples"] = task->num_eval_examples();
    write_json_atomic(path_join(out, "eval_results.json"), er);
  }
  rep.wall_seconds = seconds_since(t0);
  write_json_atomic(path_join(out, "train_results.json"),
                    {{"train_loss", rep.train.train_loss}, {"train_runtime", rep.train.wall_seconds},
                     {"train_samples", task->num_train_examples()}, {"global_step", rep.train.global_step},
                     {"epoch", rep.train.epoch}, {"interrupted", rep.train.interrupted}, {"total_runtime", rep.wall_seconds}});
  return rep;
}

std::map<std::string, double> run_evaluate(const std::string& dir, const train::Recipe& recipe, const std::string& pred_dir) {
  ResolvedModel m = load_finetuned(dir);
  std::unique_ptr<FinetuneTask> task = make_task(recipe, m.tokenizer, false);
  const std::string expect = task_architecture(m.model->model_type(), task->head());
  if (m.model->architecture() != expect)
    fail(dir, "the model is a " + m.model->architecture() + " but recipe " + recipe.source + " needs a " + expect);
  m.model->eval();
  torch::NoGradGuard ng;
  train::EvalOutput ev = task->evaluate(*m.model);
  if (!pred_dir.empty()) {
    std::filesystem::create_directories(pred_dir);
    task->write_predictions(ev, pred_dir);
  }
  return ev.metrics;
}

}  // namespace nlp::tasks
