#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "nlp/train/optim.h"
#include "nlp/train/schedule.h"
#include "nlp/util/error.h"

using namespace nlp::train;

TEST_CASE("linear schedule with warmup (HF get_linear_schedule_with_warmup)", "[optim][schedule]") {
  ScheduleOptions o{ScheduleType::linear, 10, 100};
  CHECK(lr_factor(o, 0) == 0.0);
  CHECK(lr_factor(o, 5) == 0.5);
  CHECK(lr_factor(o, 10) == 1.0);    // end of warmup
  CHECK(lr_factor(o, 55) == 0.5);    // (100 - 55) / 90
  CHECK(lr_factor(o, 99) == Approx(1.0 / 90));
  CHECK(lr_factor(o, 100) == 0.0);   // end
  CHECK(lr_factor(o, 150) == 0.0);   // clamped
  ScheduleOptions no_warmup{ScheduleType::linear, 0, 4};
  CHECK(lr_factor(no_warmup, 0) == 1.0);
  CHECK(lr_factor(no_warmup, 1) == 0.75);
  CHECK_THROWS_WITH(lr_factor({ScheduleType::linear, 0, 0}, 0), Catch::Contains("num_training_steps must be positive"));
}

TEST_CASE("cosine / constant schedules", "[optim][schedule]") {
  ScheduleOptions c{ScheduleType::cosine, 10, 110};
  CHECK(lr_factor(c, 5) == 0.5);
  CHECK(lr_factor(c, 10) == 1.0);
  CHECK(lr_factor(c, 60) == Approx(0.5));
  CHECK(lr_factor(c, 110) == Approx(0.0).margin(1e-15));
  CHECK(lr_factor({ScheduleType::constant, 10, 0}, 3) == 1.0);
  CHECK(lr_factor({ScheduleType::constant_with_warmup, 4, 0}, 1) == 0.25);
  CHECK(lr_factor({ScheduleType::constant_with_warmup, 4, 0}, 400) == 1.0);
  CHECK(parse_schedule_type("cosine") == ScheduleType::cosine);
  CHECK_THROWS_WITH(parse_schedule_type("polynomial"), Catch::Contains("'polynomial'"));
  CHECK(warmup_steps(0, 0.1, 95) == 10);  // ceil(9.5)
  CHECK(warmup_steps(7, 0.1, 95) == 7);
}

TEST_CASE("scheduler drives the optimizer like LambdaLR: first step at lr 0 with warmup", "[optim][schedule]") {
  at::Tensor w = torch::tensor({1.0f}).set_requires_grad(true);
  at::Tensor b = torch::tensor({1.0f}).set_requires_grad(true);
  AdamW opt(make_param_groups({{"encoder.layer.0.w", w}, {"classifier.bias", b}}, 2e-5, 0.01, {0.5, 1}));
  LrScheduler sched(opt, {ScheduleType::linear, 2, 6});
  CHECK(opt.param_groups()[0].lr == 0.0);  // factor(0) applied at construction
  w.mutable_grad() = torch::tensor({1.0f});
  b.mutable_grad() = torch::tensor({1.0f});
  opt.step();  // lr 0: weights unchanged
  CHECK(w.item<float>() == 1.0f);
  sched.step();
  CHECK(opt.param_groups()[0].lr == Approx(2e-5 * 0.5 * 0.5));  // layer scale 0.5, warmup 1/2
  CHECK(opt.param_groups()[1].lr == Approx(2e-5 * 0.5));
  sched.step();
  CHECK(opt.param_groups()[1].lr == Approx(2e-5));  // end of warmup
  for (int i = 0; i < 4; ++i) sched.step();
  CHECK(sched.last_step() == 6);
  CHECK(opt.param_groups()[1].lr == 0.0);  // end of schedule
}
