#include "nlp/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "nlp/train/optim.h"
#include "nlp/util/error.h"

namespace nlp::train {

ScheduleType parse_schedule_type(const std::string& name) {
  if (name == "linear") return ScheduleType::linear;
  if (name == "cosine") return ScheduleType::cosine;
  if (name == "constant") return ScheduleType::constant;
  if (name == "constant_with_warmup") return ScheduleType::constant_with_warmup;
  fail("lr_scheduler_type", "expected one of linear, cosine, constant, constant_with_warmup but got '" + name + "'");
}

std::string to_string(ScheduleType type) {
  switch (type) {
    case ScheduleType::linear: return "linear";
    case ScheduleType::cosine: return "cosine";
    case ScheduleType::constant: return "constant";
    case ScheduleType::constant_with_warmup: return "constant_with_warmup";
  }
  return "linear";
}

int64_t warmup_steps(int64_t steps, double ratio, int64_t total) {
  if (steps > 0) return steps;
  if (ratio < 0 || ratio > 1) fail("warmup_ratio", "expected a value in [0, 1] but got " + std::to_string(ratio));
  return static_cast<int64_t>(std::ceil(static_cast<double>(total) * ratio));
}

double lr_factor(const ScheduleOptions& o, int64_t step) {
  if (step < 0) fail("lr schedule", "negative step " + std::to_string(step));
  if (o.num_warmup_steps < 0) fail("lr schedule", "num_warmup_steps must be >= 0");
  const double s = static_cast<double>(step), w = static_cast<double>(o.num_warmup_steps), t = static_cast<double>(o.num_training_steps);
  const bool needs_total = o.type == ScheduleType::linear || o.type == ScheduleType::cosine;
  if (needs_total && o.num_training_steps <= 0) fail("lr schedule", "num_training_steps must be positive for a " + to_string(o.type) + " schedule");
  if (o.type == ScheduleType::constant) return 1.0;
  if (step < o.num_warmup_steps) return s / std::max(1.0, w);
  switch (o.type) {
    case ScheduleType::linear:
      return std::max(0.0, (t - s) / std::max(1.0, t - w));
    case ScheduleType::cosine: {
      const double progress = (s - w) / std::max(1.0, t - w);
      return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * o.num_cycles * 2.0 * progress)));
    }
    default:
      return 1.0;
  }
}

LrScheduler::LrScheduler(AdamW& optimizer, ScheduleOptions options) : optimizer_(optimizer), options_(options) {
  optimizer_.set_lr_factor(lr_factor(options_, 0));
}

void LrScheduler::step() {
  ++step_;
  optimizer_.set_lr_factor(lr_factor(options_, step_));
}

json LrScheduler::state_dict() const {
  return json{{"type", to_string(options_.type)},
              {"num_warmup_steps", options_.num_warmup_steps},
              {"num_training_steps", options_.num_training_steps},
              {"num_cycles", options_.num_cycles},
              {"last_step", step_}};
}

void LrScheduler::load_state_dict(const json& state, const std::string& source) {
  JsonView v{state, source};
  const std::string type = v.require<std::string>("type");
  if (parse_schedule_type(type) != options_.type)
    json_field_error(source, "type", "'" + to_string(options_.type) + "' (this run's schedule)", state.at("type"));
  if (v.require<long>("num_warmup_steps") != options_.num_warmup_steps)
    json_field_error(source, "num_warmup_steps", std::to_string(options_.num_warmup_steps) + " (this run's value)", state.at("num_warmup_steps"));
  if (v.require<long>("num_training_steps") != options_.num_training_steps)
    json_field_error(source, "num_training_steps", std::to_string(options_.num_training_steps) + " (this run's value)",
                     state.at("num_training_steps"));
  const long last = v.require<long>("last_step");
  if (last < 0) json_field_error(source, "last_step", "a non-negative integer", state.at("last_step"));
  step_ = last;
  optimizer_.set_lr_factor(lr_factor(options_, step_));
}

}  // namespace nlp::train
