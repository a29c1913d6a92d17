#include "nlp/train/trainer.h"

#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "nlp/data/split.h"
#include "nlp/train/optim.h"
#include "nlp/train/recipe.h"
#include "nlp/train/schedule.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::train {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted.store(true); }

// Installs the SIGINT flag handler for the lifetime of a train() call. SA_RESETHAND: a second
// Ctrl-C gets the default action (terminate); files written atomically stay intact either way.
struct SigintScope {
  struct sigaction old {};
  SigintScope() {
    g_interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old);
  }
  ~SigintScope() { sigaction(SIGINT, &old, nullptr); }
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string fmt(double v, int prec = 4) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}
std::string fmt_g(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

}  // namespace

bool interrupt_requested() { return g_interrupted.load(); }

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  long t = static_cast<long>(std::lround(s));
  char b[32];
  if (t >= 3600) std::snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
  else if (t >= 60) std::snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(b, sizeof b, "%lds", t);
  return b;
}

TrainingArguments TrainingArguments::from_recipe(const Recipe& r, const std::string& output_dir) {
  TrainingArguments a;
  auto v = r.view();
  a.output_dir = output_dir;
  a.learning_rate = v.require<double>("learning_rate");
  a.weight_decay = v.require<double>("weight_decay");
  a.adam_beta1 = v.require<double>("adam_beta1");
  a.adam_beta2 = v.require<double>("adam_beta2");
  a.adam_epsilon = v.require<double>("adam_epsilon");
  a.warmup_ratio = v.require<double>("warmup_ratio");
  a.warmup_steps = v.require<long>("warmup_steps");
  a.max_grad_norm = v.require<double>("max_grad_norm");
  a.per_device_train_batch_size = v.require<long>("per_device_train_batch_size");
  a.gradient_accumulation_steps = v.require<long>("gradient_accumulation_steps");
  a.num_train_epochs = v.require<double>("num_train_epochs");
  a.max_steps = v.require<long>("max_steps");
  a.eval_steps = v.require<long>("eval_steps");
  a.logging_steps = v.require<long>("logging_steps");
  a.max_train_seconds = v.require<double>("max_train_seconds");
  a.lr_scheduler_type = v.require<std::string>("lr_scheduler_type");
  a.layerwise_lr_decay = v.require<double>("layerwise_lr_decay");
  a.seed = static_cast<uint64_t>(v.require<long>("seed"));
  a.metric_for_best_model = v.require<std::string>("metric_for_best_model");
  a.load_best_model_at_end = v.require<bool>("load_best_model_at_end");
  return a;
}

Trainer::Trainer(TrainingArguments args, std::shared_ptr<models::PretrainedModel> model)
    : args_(std::move(args)), model_(std::move(model)) {}

TrainResult Trainer::train(TrainTask& task, const SaveFn& save) {
  const auto t0 = Clock::now();
  SigintScope sigint;
  TrainResult res;
  torch::manual_seed(args_.seed);

  const size_t n = task.num_train_examples();
  if (n == 0) fail("trainer", "no training examples");
  const int64_t bs = args_.per_device_train_batch_size, accum = args_.gradient_accumulation_steps;
  const int64_t batches_per_epoch = static_cast<int64_t>((n + bs - 1) / bs);
  const int64_t steps_per_epoch = std::max<int64_t>(1, batches_per_epoch / accum);
  const int64_t total = args_.max_steps > 0 ? args_.max_steps
                                           : static_cast<int64_t>(std::ceil(args_.num_train_epochs * steps_per_epoch));
  const int64_t warmup = args_.warmup_steps >= 0 ? args_.warmup_steps
                                                 : static_cast<int64_t>(std::ceil(args_.warmup_ratio * total));
  res.total_steps = total;

  // Parameter groups (nlp/train/optim.h): no weight decay on biases and LayerNorm weights, and
  // optional layer-wise lr decay; AdamW = torch.optim.AdamW; linear (or other HF) schedule.
  NamedParameters named;
  for (auto& [name, t] : models::hf_named_parameters(*model_))
    if (t.requires_grad()) named.emplace_back(name, t);
  LayerDecay ld;
  if (args_.layerwise_lr_decay != 1.0) {
    json cfg = model_->config_json();
    ld.decay = args_.layerwise_lr_decay;
    ld.num_layers = cfg.value("num_hidden_layers", 0);
    if (ld.num_layers <= 0) fail("layerwise_lr_decay", "the model config has no num_hidden_layers");
  }
  AdamWOptions aopt;
  aopt.beta1 = args_.adam_beta1;
  aopt.beta2 = args_.adam_beta2;
  aopt.eps = args_.adam_epsilon;
  AdamW optimizer(make_param_groups(named, args_.learning_rate, args_.weight_decay, ld), aopt);
  ScheduleOptions so;
  so.type = parse_schedule_type(args_.lr_scheduler_type);
  so.num_warmup_steps = warmup;
  so.num_training_steps = total;
  LrScheduler scheduler(optimizer, so);

  const bool tty = args_.progress_bar && ::isatty(STDERR_FILENO);
  std::ofstream log;
  if (!args_.output_dir.empty()) {
    log.open(path_join(args_.output_dir, "metrics.jsonl"), std::ios::trunc);
    if (!log) fail(path_join(args_.output_dir, "metrics.jsonl"), "cannot open for writing");
  }
  auto log_json = [&](const json& j) {
    if (log) log << j.dump() << "\n" << std::flush;
  };

  const bool maximize = !(args_.metric_for_best_model == "eval_loss");
  double best = maximize ? -INFINITY : INFINITY;
  std::vector<torch::Tensor> best_params;
  bool have_best = false;

  int64_t last_eval_step = -1;
  auto run_eval = [&](int64_t step, double epoch) {
    last_eval_step = step;
    if (tty) std::cerr << "\r\033[K" << std::flush;
    auto te = Clock::now();
    model_->eval();
    EvalOutput ev;
    {
      torch::NoGradGuard ng;
      ev = task.evaluate(*model_);
    }
    model_->train();
    double secs = seconds_since(te);
    json j = {{"step", step}, {"epoch", epoch}, {"eval_runtime", secs}};
    std::string line = "[eval] step " + std::to_string(step) + " epoch " + fmt(epoch, 2);
    for (auto& [k, v] : ev.metrics) {
      j[k] = v;
      line += " " + k + " " + fmt(v);
    }
    line += " (" + fmt(secs, 1) + "s)";
    std::cout << line << std::endl;
    log_json(j);
    const std::string key = args_.metric_for_best_model;
    auto it = ev.metrics.find(key);
    if (it == ev.metrics.end()) {
      std::string known;
      for (auto& [k, v] : ev.metrics) known += (known.empty() ? "" : ", ") + k;
      fail("metric_for_best_model", "'" + key + "' is not computed by this task (it reports " + known + ")");
    }
    double m = it->second;
    bool better = !have_best || (maximize ? m > best : m < best);
    if (better) {
      best = m;
      have_best = true;
      res.best_step = step;
      res.best_epoch = epoch;
      res.best_metrics = ev.metrics;
      res.best_eval = ev;
      if (args_.load_best_model_at_end) {
        torch::NoGradGuard ng;
        best_params.clear();
        for (auto& [name, t] : models::hf_named_parameters(*model_)) best_params.push_back(t.detach().clone());
      }
      if (save && !interrupt_requested()) save(*model_, ev, step);
    }
  };

  model_->train();
  int64_t step = 0;
  double loss_sum_total = 0;
  double window_loss = 0;
  int64_t window_steps = 0, window_examples = 0;
  auto window_t = Clock::now();
  const auto train_t0 = Clock::now();
  int64_t examples_seen = 0;
  bool stop = false;
  int64_t epoch_i = 0;
  while (!stop) {
    std::vector<size_t> perm = data::deterministic_permutation(n, args_.seed + static_cast<uint64_t>(epoch_i));
    int64_t b = 0;
    while (b < batches_per_epoch && !stop) {
      // one optimizer step over `accum` batches (the epoch's tail batches that do not fill a
      // whole accumulation group are dropped, as transformers does with drop_last=False per batch)
      if (b + accum > batches_per_epoch && b > 0) break;
      optimizer.zero_grad();
      double step_loss = 0;
      int64_t step_examples = 0;
      for (int64_t a = 0; a < accum && b < batches_per_epoch; ++a, ++b) {
        std::vector<size_t> idx(perm.begin() + b * bs, perm.begin() + std::min<int64_t>((b + 1) * bs, n));
        models::TensorMap inputs = task.train_batch(idx);
        models::TensorMap out = model_->forward(inputs);
        auto it = out.find("loss");
        if (it == out.end() || !it->second.defined()) fail("trainer", "the model returned no 'loss' (labels missing from the batch?)");
        torch::Tensor loss = it->second / static_cast<double>(accum);
        loss.backward();
        step_loss += loss.item<double>();
        step_examples += static_cast<int64_t>(idx.size());
      }
      if (!std::isfinite(step_loss)) fail("trainer", "loss is " + std::to_string(step_loss) + " at step " + std::to_string(step + 1) + " (lower learning_rate?)");
      if (args_.max_grad_norm > 0) clip_grad_norm(optimizer.param_groups(), args_.max_grad_norm);
      const double lr = args_.learning_rate * scheduler.factor();  // the base lr of this step
      optimizer.step();
      scheduler.step();
      ++step;
      examples_seen += step_examples;
      res.step_losses.push_back(step_loss);
      loss_sum_total += step_loss;
      window_loss += step_loss;
      ++window_steps;
      window_examples += step_examples;
      const double epoch = static_cast<double>(epoch_i) + static_cast<double>(b) / static_cast<double>(batches_per_epoch);
      res.epoch = epoch;
      res.global_step = step;

      const double elapsed = seconds_since(train_t0);
      const double eta = elapsed / static_cast<double>(step) * static_cast<double>(total - step);
      if (tty) {
        const int width = 24;
        int filled = static_cast<int>(width * step / std::max<int64_t>(1, total));
        std::cerr << "\r\033[K[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << step << "/"
                  << total << " loss " << fmt(step_loss) << " " << fmt(examples_seen / std::max(1e-9, elapsed), 0)
                  << " ex/s ETA " << format_duration(eta) << std::flush;
      }
      if (step % args_.logging_steps == 0 || step == total) {
        const double wsecs = seconds_since(window_t);
        const double mean = window_loss / static_cast<double>(std::max<int64_t>(1, window_steps));
        const double eps = window_examples / std::max(1e-9, wsecs);
        log_json({{"step", step}, {"epoch", epoch}, {"loss", mean}, {"learning_rate", lr}, {"examples_per_second", eps}});
        if (!tty)
          std::cout << "step " << step << "/" << total << " epoch " << fmt(epoch, 2) << " loss " << fmt(mean) << " lr "
                    << fmt_g(lr) << " " << fmt(eps, 0) << " ex/s elapsed " << format_duration(elapsed) << " ETA "
                    << format_duration(eta) << std::endl;
        window_loss = 0;
        window_steps = 0;
        window_examples = 0;
        window_t = Clock::now();
      }
      if (interrupt_requested()) {
        res.interrupted = true;
        stop = true;
        break;
      }
      if (step >= total) stop = true;
      if (!stop && args_.max_train_seconds > 0 && seconds_since(t0) > args_.max_train_seconds) {
        res.time_budget_hit = true;
        stop = true;
        std::cout << "[time budget] max_train_seconds " << fmt(args_.max_train_seconds, 0) << " reached at step " << step
                  << " of " << total << ": stopping training" << std::endl;
      }
      if (args_.eval_steps > 0 && step % args_.eval_steps == 0 && !stop) run_eval(step, epoch);
    }
    ++epoch_i;
    if (!stop && args_.eval_steps == 0) run_eval(step, static_cast<double>(epoch_i));
  }
  if (tty) std::cerr << "\r\033[K" << std::flush;
  // Final evaluation unless this step was just evaluated (none after an interruption).
  if (!res.interrupted && last_eval_step != step) run_eval(step, res.epoch);
  res.train_loss = loss_sum_total / static_cast<double>(std::max<int64_t>(1, step));
  if (args_.load_best_model_at_end && !best_params.empty()) {
    torch::NoGradGuard ng;
    size_t i = 0;
    for (auto& [name, t] : models::hf_named_parameters(*model_)) t.copy_(best_params[i++]);
  }
  model_->eval();
  res.wall_seconds = seconds_since(t0);
  log_json({{"step", step}, {"train_loss", res.train_loss}, {"train_runtime", res.wall_seconds},
            {"interrupted", res.interrupted}, {"best_step", res.best_step}});
  return res;
}

}  // namespace nlp::train
