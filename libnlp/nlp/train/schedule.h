// Learning-rate schedules with the semantics of Hugging Face's transformers.optimization
// (get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup, get_constant_schedule,
// get_constant_schedule_with_warmup) driven like torch.optim.lr_scheduler.LambdaLR: the factor
// for step s multiplies each parameter group's initial lr; constructing the scheduler applies
// factor(0), and every step() after optimizer.step() advances s by one. So with warmup the very
// first update uses lr 0, exactly as in the Trainer.
//
// linear:   s < W: s / max(1, W);  else max(0, (T - s) / max(1, T - W))
// cosine:   s < W: s / max(1, W);  else max(0, 0.5 (1 + cos(pi * num_cycles * 2 * p))),
//           p = (s - W) / max(1, T - W)
// constant: 1;   constant_with_warmup: s < W: s / max(1, W); else 1
#pragma once

#include <cstdint>
#include <string>

#include "nlp/util/json.h"

namespace nlp::train {

class AdamW;

enum class ScheduleType { linear, cosine, constant, constant_with_warmup };

// Hugging Face lr_scheduler_type names: "linear", "cosine", "constant", "constant_with_warmup".
// Throws nlp::Error listing them.
ScheduleType parse_schedule_type(const std::string& name);
std::string to_string(ScheduleType type);

struct ScheduleOptions {
  ScheduleType type = ScheduleType::linear;
  int64_t num_warmup_steps = 0;    // W
  int64_t num_training_steps = 0;  // T (optimizer steps, after gradient accumulation)
  double num_cycles = 0.5;         // cosine only
};

// TrainingArguments.get_warmup_steps: warmup_steps if > 0, else ceil(T * warmup_ratio).
int64_t warmup_steps(int64_t warmup_steps, double warmup_ratio, int64_t num_training_steps);

// The multiplier for step s (the formulas above). Throws nlp::Error for negative step counts
// or, for linear/cosine, num_training_steps <= 0.
double lr_factor(const ScheduleOptions& options, int64_t step);

class LrScheduler {
 public:
  // Applies factor(0) to the optimizer at once.
  LrScheduler(AdamW& optimizer, ScheduleOptions options);
  // Advances one step and sets every group's lr = initial_lr * factor(step).
  void step();
  int64_t last_step() const { return step_; }
  double factor() const { return lr_factor(options_, step_); }
  const ScheduleOptions& options() const { return options_; }

  // {"type": "linear", "num_warmup_steps": W, "num_training_steps": T, "num_cycles": c,
  //  "last_step": s}. load_state_dict checks the schedule matches (nlp::Error naming the field)
  // and re-applies the lr for the saved step.
  json state_dict() const;
  void load_state_dict(const json& state, const std::string& source = "scheduler state");

 private:
  AdamW& optimizer_;
  ScheduleOptions options_;
  int64_t step_ = 0;
};

}  // namespace nlp::train
