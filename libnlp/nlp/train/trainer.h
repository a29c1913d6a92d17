// A generic training loop (used by fine-tuning, and meant for pretraining too), following
// transformers' Trainer semantics:
//   * mini-batches of per_device_train_batch_size examples in an order shuffled per epoch by
//     nlp::data::deterministic_permutation(n, seed + epoch) (platform-independent);
//   * gradient accumulation over gradient_accumulation_steps batches (loss / steps);
//   * AdamW (decoupled weight decay, Loshchilov & Hutter) with no decay on biases and LayerNorm
//     weights (transformers' default parameter groups), linear warmup (warmup_steps, else
//     ceil(warmup_ratio * total)) then linear decay to 0 (get_linear_schedule_with_warmup; other
//     transformers schedules by lr_scheduler_type), optional layer-wise lr decay (nlp/train/optim.h);
//   * gradient clipping by global L2 norm (max_grad_norm, 0 disables);
//   * the model in train mode (dropout on) while training, eval mode while evaluating;
//   * fixed seeds: torch::manual_seed(seed) before the first step, so the same seed, data and
//     thread count give the same losses;
//   * evaluation every eval_steps optimizer steps (0: at each epoch end) and at the end; the
//     best checkpoint by metric_for_best_model is saved (through the caller's save function)
//     and restored into the model at the end when load_best_model_at_end;
//   * a progress bar on a terminal (stderr is a TTY: steps, loss, examples/s, ETA), plain log
//     lines every logging_steps otherwise; one JSON object per log/eval event appended to
//     <output_dir>/metrics.jsonl;
//   * an optional wall-time budget (max_train_seconds): training stops after the step that
//     exceeds it and the final evaluation runs as usual (reported in TrainResult::time_budget_hit);
//   * SIGINT (Ctrl-C) sets a flag checked between steps: training stops after the current step,
//     no checkpoint is started, and the last complete checkpoint (written atomically) stays
//     intact. A second Ctrl-C kills the process (default action).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nlp/models/model.h"
#include "nlp/util/json.h"

namespace nlp::train {

struct Recipe;

struct TrainingArguments {
  std::string output_dir;
  double learning_rate = 2e-5;
  double weight_decay = 0.01;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  double warmup_ratio = 0.1;
  int64_t warmup_steps = -1;  // >= 0 overrides warmup_ratio
  double max_grad_norm = 1.0;
  int64_t per_device_train_batch_size = 32;
  int64_t gradient_accumulation_steps = 1;
  double num_train_epochs = 3;
  int64_t max_steps = -1;  // > 0 overrides num_train_epochs
  int64_t eval_steps = 0;  // 0: each epoch end
  int64_t logging_steps = 50;
  std::string lr_scheduler_type = "linear";  // linear | cosine | constant | constant_with_warmup
  double layerwise_lr_decay = 1.0;            // ELECTRA-style layer-wise lr decay (1 = off)
  double max_train_seconds = 0;  // > 0: stop training once this much wall time has passed (then evaluate)
  uint64_t seed = 42;
  std::string metric_for_best_model;  // "eval_accuracy"; "eval_loss" is minimised, others maximised
  bool load_best_model_at_end = true;
  bool progress_bar = true;  // drawn only when stderr is a terminal

  static TrainingArguments from_recipe(const Recipe& recipe, const std::string& output_dir);
};

// What a task gives the trainer.
struct EvalOutput {
  std::map<std::string, double> metrics;  // transformers names: eval_accuracy, eval_f1, eval_loss, ...
  json predictions;                       // task-specific, written by the caller
};

class TrainTask {
 public:
  virtual ~TrainTask() = default;
  virtual size_t num_train_examples() const = 0;
  // Model inputs with labels for these training examples (Hugging Face names, [batch, ...]).
  virtual models::TensorMap train_batch(const std::vector<size_t>& indices) const = 0;
  // Runs the model (already in eval mode, under NoGradGuard) on the evaluation set.
  virtual EvalOutput evaluate(models::PretrainedModel& model) = 0;
};

struct TrainResult {
  int64_t global_step = 0;
  int64_t total_steps = 0;
  double epoch = 0;
  double train_loss = 0;     // mean training loss over all steps
  double wall_seconds = 0;   // whole train() call, evaluations included
  bool interrupted = false;  // stopped by SIGINT
  bool time_budget_hit = false;  // stopped early by max_train_seconds
  int64_t best_step = -1;    // step of the best evaluation (-1: none happened)
  double best_epoch = 0;     // epoch of the best evaluation
  std::map<std::string, double> best_metrics;  // of the best evaluation (the saved model)
  EvalOutput best_eval;
  std::vector<double> step_losses;  // loss of every optimizer step (mean over accumulation)
};

// Called with the best model so far; must write it atomically (see save_pretrained).
using SaveFn = std::function<void(models::PretrainedModel& model, const EvalOutput& eval, int64_t step)>;

class Trainer {
 public:
  Trainer(TrainingArguments args, std::shared_ptr<models::PretrainedModel> model);
  TrainResult train(TrainTask& task, const SaveFn& save = nullptr);
  const TrainingArguments& args() const { return args_; }

 private:
  TrainingArguments args_;
  std::shared_ptr<models::PretrainedModel> model_;
};

// Whether a SIGINT arrived during the current train() call (also readable by callers that
// want to stop long evaluation loops).
bool interrupt_requested();

// "2m05s" / "1h02m" / "45s".
std::string format_duration(double seconds);

}  // namespace nlp::train
