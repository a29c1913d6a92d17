// Helpers for the GPT / encoder-decoder / generation parity tests: load a fixture folder in a
// chosen checkpoint format, run it on the fixture's inputs and compare every output.
#pragma once

#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <string>

#include "nlp/io/checkpoint.h"
#include "nlp/models/loading.h"
#include "support/shared.h"

namespace nlp::test::dec {

struct Fixture {
  std::string dir;
  io::StateDict tensors;  // inputs_outputs.safetensors
  models::TensorMap with_prefix(const std::string& prefix) const {
    models::TensorMap m;
    for (const auto& [k, v] : tensors)
      if (k.rfind(prefix, 0) == 0) m[k.substr(prefix.size())] = v;
    return m;
  }
};

inline Fixture load_fixture(const std::string& name) {
  Fixture f;
  f.dir = nlp::test::shared_path("fixtures/hf/" + name);
  f.tensors = io::load_safetensors(f.dir + "/inputs_outputs.safetensors");
  return f;
}

inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// Every expected output must be present with the same shape and within `tol`.
inline double check_outputs(const models::TensorMap& expected, const models::TensorMap& got, double tol = 1e-5) {
  double worst = 0;
  for (const auto& [name, want] : expected) {
    INFO("output " << name);
    auto it = got.find(name);
    REQUIRE(it != got.end());
    REQUIRE(it->second.sizes() == want.sizes());
    double d = max_abs_diff(it->second, want);
    CHECK(d <= tol);
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace nlp::test::dec
