// End-to-end fine-tuning and evaluation of a recipe (what `nlp finetune` / `nlp evaluate` run).
//
// run_finetune:
//   1. resolves the tokenizer (recipe `tokenizer`, else the model folder) and the model (a local
//      folder or hub id with config.json + weights, whose head is freshly initialised for the
//      task as transformers does; or `model_config` = a config.json trained from random
//      initialisation, seeded by `seed`);
//   2. builds the task data (tasks/task.h) and trains (train/trainer.h);
//   3. writes the output folder, a loadable Hugging Face model: config.json (architectures,
//      id2label/label2id), model.safetensors, the tokenizer files, plus eval_results.json
//      (transformers Trainer metric names + "epoch"), eval predictions, metrics.jsonl,
//      train_results.json and finetune_recipe.json (the resolved recipe, read by nlp predict).
//      Every file is written atomically; the model files are rewritten only when the evaluation
//      metric improves, so an interrupted run leaves the best complete checkpoint in place.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "nlp/models/model.h"
#include "nlp/tasks/task.h"
#include "nlp/train/recipe.h"
#include "nlp/train/trainer.h"

namespace nlp::tasks {

struct FinetuneOptions {
  std::string output_dir;  // overrides the recipe's output_dir ("" = recipe, else runs/<recipe name>)
  bool progress_bar = true;
  bool quiet = false;      // no report lines on stdout
};

struct FinetuneReport {
  std::string output_dir;
  std::string main_metric;
  std::map<std::string, double> metrics;  // of the saved (best) model
  std::string baseline;                   // task baseline line ("" if none)
  train::TrainResult train;
  double wall_seconds = 0;                // whole run: data, training, evaluation, saving
  bool from_scratch = false;
};

FinetuneReport run_finetune(const train::Recipe& recipe, const FinetuneOptions& options = {});

struct ResolvedModel {
  std::shared_ptr<models::PretrainedModel> model;
  std::shared_ptr<const tok::Tokenizer> tokenizer;
  std::string tokenizer_dir;
  json config;  // the model's config.json content
  bool from_scratch = false;
  std::vector<std::string> newly_initialized;
};

// The architecture of `model_type` whose name ends with `head` ("ForSequenceClassification"),
// from the model registry. Throws nlp::Error when the family has no such head.
std::string task_architecture(const std::string& model_type, const std::string& head);

// Builds the recipe's model for `task` (steps 1 above).
ResolvedModel resolve_model(const train::Recipe& recipe, const FinetuneTask* task);

// Loads a fine-tuned output folder (config.json + weights + tokenizer files).
ResolvedModel load_finetuned(const std::string& dir);

// `nlp evaluate`: evaluates a fine-tuned folder on the recipe's eval data. Returns the metrics
// (transformers names) and writes predictions into `predictions_dir` when not empty.
std::map<std::string, double> run_evaluate(const std::string& model_dir, const train::Recipe& recipe,
                                           const std::string& predictions_dir = "");

}  // namespace nlp::tasks
