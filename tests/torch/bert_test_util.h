// Helpers for the model parity tests (tests/torch/test_bert_*.cpp, test_cli_*.cpp): reading a
// fixture's inputs/expected outputs and comparing outputs by name.
#pragma once

#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "nlp/io/checkpoint.h"
#include "nlp/models/model.h"
#include "nlp/util/json.h"
#include "support/shared.h"

namespace nlp::test {

struct Fixture {
  std::string dir;
  models::TensorMap inputs;    // input.<name> with the prefix stripped
  models::TensorMap expected;  // output.<name> with the prefix stripped
  json meta;                   // inputs_outputs.json
};

inline Fixture load_fixture(const std::string& name) {
  Fixture f;
  f.dir = shared_path("fixtures/hf/" + name);
  for (auto& [key, t] : io::load_safetensors(f.dir + "/inputs_outputs.safetensors")) {
    if (key.rfind("input.", 0) == 0) f.inputs[key.substr(6)] = t;
    if (key.rfind("output.", 0) == 0) f.expected[key.substr(7)] = t;
  }
  f.meta = read_json_file(f.dir + "/inputs_outputs.json");
  REQUIRE(!f.inputs.empty());
  REQUIRE(!f.expected.empty());
  return f;
}

// Every expected tensor is present in `actual` with the same shape and within `tol` max-abs.
// Returns the largest difference seen.
inline double require_outputs_match(const models::TensorMap& expected, const models::TensorMap& actual,
                                    double tol = 1e-5) {
  double worst = 0.0;
  for (const auto& [name, want] : expected) {
    INFO("output." << name);
    auto it = actual.find(name);
    REQUIRE(it != actual.end());
    const at::Tensor& got = it->second;
    REQUIRE(got.sizes() == want.sizes());
    double diff = want.numel() == 0 ? 0.0
                                    : (got.to(torch::kDouble) - want.to(torch::kDouble)).abs().max().item<double>();
    INFO("max-abs diff " << diff);
    CHECK(diff <= tol);
    worst = std::max(worst, diff);
  }
  return worst;
}

}  // namespace nlp::test
