#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>

#include "nlp/train/optim.h"
#include "nlp/train/schedule.h"
#include "nlp/util/error.h"
#include "support/temp_dir.h"

using namespace nlp::train;

namespace {

// Scalar reference of one AdamW coordinate, written from the update rules (double precision).
struct Ref {
  double p, m = 0, v = 0;
  int t = 0;
  void torch_step(double g, double lr, double wd, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) {
    ++t;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    p -= (lr / bc1) * m / (std::sqrt(v) / std::sqrt(bc2) + eps);
  }
  void hf_step(double g, double lr, double wd, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) {
    ++t;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    p -= lr * std::sqrt(bc2) / bc1 * m / (std::sqrt(v) + eps);
    p -= lr * wd * p;
  }
};

at::Tensor param(std::vector<float> values) { return torch::tensor(values).set_requires_grad(true); }

}  // namespace

TEST_CASE("AdamW (torch variant) against a hand computation", "[optim]") {
  at::Tensor w = param({1.0f, -2.0f});
  auto groups = make_param_groups({{"encoder.weight", w}}, 0.1, 0.01);
  AdamW opt(groups);
  // step 1: bias correction makes the first update lr * g / |g| = 0.1 * sign(g) after decay
  w.mutable_grad() = torch::tensor({0.5f, -1.0f});
  opt.step();
  CHECK(w[0].item<double>() == Approx(0.999 - 0.1).epsilon(1e-6));
  CHECK(w[1].item<double>() == Approx(-1.998 + 0.1).epsilon(1e-6));
  // step 2 by the formula
  w.mutable_grad() = torch::tensor({0.1f, 0.2f});
  opt.step();
  Ref r0{1.0}, r1{-2.0};
  r0.torch_step(0.5, 0.1, 0.01);
  r0.torch_step(0.1, 0.1, 0.01);
  r1.torch_step(-1.0, 0.1, 0.01);
  r1.torch_step(0.2, 0.1, 0.01);
  // m2 = 0.9 * 0.05 + 0.1 * 0.1 = 0.055 for coordinate 0
  CHECK(opt.state(0, 0).exp_avg[0].item<double>() == Approx(0.055).epsilon(1e-6));
  CHECK(opt.state(0, 0).exp_avg_sq[1].item<double>() == Approx(0.999 * 0.001 + 0.001 * 0.04).epsilon(1e-6));
  CHECK(opt.state(0, 0).step == 2);
  CHECK(w[0].item<double>() == Approx(r0.p).epsilon(1e-6));
  CHECK(w[1].item<double>() == Approx(r1.p).epsilon(1e-6));
}

TEST_CASE("AdamW (hf variant: transformers.AdamW) against a hand computation", "[optim]") {
  at::Tensor w = param({0.3f, -0.7f, 2.0f});
  AdamWOptions o;
  o.variant = AdamWVariant::hf;
  AdamW opt(make_param_groups({{"dense.weight", w}}, 0.05, 0.1), o);
  Ref r[3] = {{0.3}, {-0.7}, {2.0}};
  const float grads[3][3] = {{0.2f, -0.4f, 1.0f}, {-0.1f, 0.3f, 0.05f}, {0.0f, 0.2f, -2.0f}};
  for (int s = 0; s < 3; ++s) {
    w.mutable_grad() = torch::tensor({grads[s][0], grads[s][1], grads[s][2]});
    opt.step();
    for (int i = 0; i < 3; ++i) r[i].hf_step(grads[s][i], 0.05, 0.1);
  }
  for (int i = 0; i < 3; ++i) CHECK(w[i].item<double>() == Approx(r[i].p).epsilon(1e-6));
}

TEST_CASE("AdamW (torch variant) equals LibTorch's torch::optim::AdamW bit for bit", "[optim]") {
  torch::manual_seed(0);
  at::Tensor a = torch::randn({7, 5}).set_requires_grad(true);
  at::Tensor b = a.detach().clone().set_requires_grad(true);
  AdamW mine(make_param_groups({{"x.weight", a}}, 3e-3, 0.05));
  torch::optim::AdamW ref({b}, torch::optim::AdamWOptions(3e-3).weight_decay(0.05).eps(1e-8));
  for (int s = 0; s < 10; ++s) {
    at::Tensor g = torch::randn({7, 5});
    a.mutable_grad() = g.clone();
    b.mutable_grad() = g.clone();
    mine.step();
    ref.step();
  }
  CHECK(torch::equal(a, b));
}

TEST_CASE("parameter groups: no decay for biases and LayerNorm; layer-wise lr decay", "[optim]") {
  CHECK(excluded_from_weight_decay("bert.encoder.layer.0.attention.self.query.bias"));
  CHECK(excluded_from_weight_decay("bert.embeddings.LayerNorm.weight"));
  CHECK(excluded_from_weight_decay("model.encoder.layers.0.self_attn_layer_norm.weight"));
  CHECK(excluded_from_weight_decay("model.encoder.layernorm_embedding.weight"));
  CHECK(excluded_from_weight_decay("transformer.h.3.ln_1.weight"));
  CHECK(excluded_from_weight_decay("transformer.ln_f.weight"));
  CHECK_FALSE(excluded_from_weight_decay("bert.encoder.layer.0.attention.self.query.weight"));
  CHECK_FALSE(excluded_from_weight_decay("transformer.h.3.mlp.c_fc.weight"));
  CHECK_FALSE(excluded_from_weight_decay("bert.embeddings.word_embeddings.weight"));

  CHECK(layer_index("electra.encoder.layer.11.output.dense.weight") == 11);
  CHECK(layer_index("transformer.h.2.attn.c_attn.weight") == 2);
  CHECK_FALSE(layer_index("classifier.dense.weight").has_value());
  LayerDecay ld{0.8, 12};
  CHECK(layer_lr_scale("electra.encoder.layer.11.output.dense.weight", ld) == Approx(0.8));
  CHECK(layer_lr_scale("electra.encoder.layer.0.output.dense.weight", ld) == Approx(std::pow(0.8, 12)));
  CHECK(layer_lr_scale("electra.embeddings.word_embeddings.weight", ld) == Approx(std::pow(0.8, 13)));
  CHECK(layer_lr_scale("classifier.out_proj.weight", ld) == 1.0);
  CHECK_THROWS_WITH(layer_lr_scale("encoder.layer.12.x", ld), Catch::Contains("not below num_layers"));

  NamedParameters named = {{"embeddings.word_embeddings.weight", param({1})}, {"embeddings.LayerNorm.weight", param({1})},
                           {"encoder.layer.0.dense.weight", param({1})}, {"encoder.layer.0.dense.bias", param({1})},
                           {"encoder.layer.1.dense.weight", param({1})}, {"classifier.weight", param({1})}};
  auto plain = make_param_groups(named, 2e-5, 0.01);
  REQUIRE(plain.size() == 2);
  CHECK(plain[0].weight_decay == 0.01);
  CHECK(plain[0].names == std::vector<std::string>{"embeddings.word_embeddings.weight", "encoder.layer.0.dense.weight",
                                                    "encoder.layer.1.dense.weight", "classifier.weight"});
  CHECK(plain[1].weight_decay == 0.0);
  CHECK(plain[1].names == std::vector<std::string>{"embeddings.LayerNorm.weight", "encoder.layer.0.dense.bias"});
  auto decayed = make_param_groups(named, 1e-4, 0.01, {0.5, 2});
  // (decay, scale): emb 0.125, emb-LN 0.125 nd, layer0 0.25, layer0 bias nd, layer1 0.5, head 1
  REQUIRE(decayed.size() == 6);
  CHECK(decayed[0].initial_lr == Approx(1e-4 * 0.125));
  CHECK(decayed[2].initial_lr == Approx(1e-4 * 0.25));
  CHECK(decayed[4].initial_lr == Approx(1e-4 * 0.5));
  CHECK(decayed[5].initial_lr == Approx(1e-4));
  CHECK_THROWS_WITH(make_param_groups({{"a", param({1})}, {"a", param({1})}}, 1, 0), Catch::Contains("duplicate parameter name 'a'"));
}

TEST_CASE("clip_grad_norm as torch.nn.utils.clip_grad_norm_", "[optim]") {
  at::Tensor a = param({0, 0}), b = param({0}), c = param({1});
  a.mutable_grad() = torch::tensor({3.0f, 0.0f});
  b.mutable_grad() = torch::tensor({4.0f});
  // c has no gradient: ignored
  double total = clip_grad_norm(std::vector<at::Tensor>{a, b, c}, 1.0);
  CHECK(total == Approx(5.0));
  CHECK(a.grad()[0].item<double>() == Approx(3.0 / (5.0 + 1e-6)).epsilon(1e-6));
  CHECK(b.grad()[0].item<double>() == Approx(0.8).epsilon(1e-5));
  // below the limit: unchanged
  a.mutable_grad() = torch::tensor({0.3f, 0.4f});
  CHECK(clip_grad_norm(std::vector<at::Tensor>{a}, 1.0) == Approx(0.5));
  CHECK(a.grad()[1].item<float>() == 0.4f);
  // same result as LibTorch's own clip_grad_norm_
  torch::manual_seed(1);
  at::Tensor x = torch::randn({10, 10}).set_requires_grad(true), y = x.detach().clone().set_requires_grad(true);
  at::Tensor g = torch::randn({10, 10}) * 3;
  x.mutable_grad() = g.clone();
  y.mutable_grad() = g.clone();
  double n1 = clip_grad_norm(std::vector<at::Tensor>{x}, 1.0);
  double n2 = torch::nn::utils::clip_grad_norm_(std::vector<at::Tensor>{y}, 1.0);
  CHECK(n1 == n2);
  CHECK(torch::allclose(x.grad(), y.grad(), 0, 1e-7));
  CHECK(clip_grad_norm(std::vector<at::Tensor>{c}, 1.0) == 0.0);
}

TEST_CASE("optimizer + scheduler state save/load resumes exactly", "[optim]") {
  nlp::test::ScratchDir dir;
  auto make = [](at::Tensor w, at::Tensor bias) {
    return make_param_groups({{"layer.0.weight", w}, {"layer.0.bias", bias}}, 1e-2, 0.01);
  };
  torch::manual_seed(3);
  at::Tensor w1 = torch::randn({4, 3}).set_requires_grad(true), b1 = torch::randn({3}).set_requires_grad(true);
  AdamW opt1(make(w1, b1));
  LrScheduler sched1(opt1, {ScheduleType::linear, 2, 10});
  std::vector<std::pair<at::Tensor, at::Tensor>> grads;
  for (int s = 0; s < 6; ++s) grads.emplace_back(torch::randn({4, 3}), torch::randn({3}));
  for (int s = 0; s < 3; ++s) {
    w1.mutable_grad() = grads[s].first.clone();
    b1.mutable_grad() = grads[s].second.clone();
    opt1.step();
    sched1.step();
  }
  const std::string path = (dir.path / "optimizer.pt").string();
  opt1.save(path);
  nlp::json sched_state = sched1.state_dict();
  CHECK(sched_state["last_step"] == 3);

  at::Tensor w2 = w1.detach().clone().set_requires_grad(true), b2 = b1.detach().clone().set_requires_grad(true);
  AdamW opt2(make(w2, b2));
  LrScheduler sched2(opt2, {ScheduleType::linear, 2, 10});
  opt2.load(path);
  sched2.load_state_dict(sched_state);
  CHECK(opt2.steps() == 3);
  CHECK(opt2.param_groups()[0].lr == opt1.param_groups()[0].lr);
  for (int s = 3; s < 6; ++s) {
    for (auto* p : {&w1, &w2}) p->mutable_grad() = grads[s].first.clone();
    for (auto* p : {&b1, &b2}) p->mutable_grad() = grads[s].second.clone();
    opt1.step();
    sched1.step();
    opt2.step();
    sched2.step();
  }
  CHECK(torch::equal(w1, w2));
  CHECK(torch::equal(b1, b2));

  // mismatches are reported with the file and the parameter
  at::Tensor other = torch::randn({4, 3}).set_requires_grad(true);
  AdamW wrong_names(make_param_groups({{"layer.1.weight", other}, {"layer.1.bias", torch::randn({3}).set_requires_grad(true)}}, 1e-2, 0.01));
  CHECK_THROWS_WITH(wrong_names.load(path), Catch::Contains("optimizer.pt") && Catch::Contains("'layer.0.weight'"));
  AdamW wrong_shape(make(torch::randn({2, 3}).set_requires_grad(true), torch::randn({3}).set_requires_grad(true)));
  CHECK_THROWS_WITH(wrong_shape.load(path), Catch::Contains("optimizer.pt") && Catch::Contains("shape"));
  CHECK_THROWS_WITH(wrong_shape.load((dir.path / "missing.pt").string()), Catch::Contains("missing.pt"));
  std::string junk = dir.write("junk.pt", "not a zip");
  CHECK_THROWS_AS(wrong_shape.load(junk), nlp::Error);
  nlp::json bad = sched_state;
  bad["num_training_steps"] = 11;
  CHECK_THROWS_WITH(sched2.load_state_dict(bad, "trainer_state.json"), Catch::Contains("trainer_state.json") && Catch::Contains("num_training_steps"));
}
