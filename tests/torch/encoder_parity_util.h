// Parity check shared by the RoBERTa / ALBERT / ELECTRA tests: load a fixture of
// ../shared/fixtures/hf from one checkpoint format, check class, load report and parameter count,
// run it with all hidden states and attentions, and compare every expected output (1e-5 max-abs).
#pragma once

#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <string>

#include "bert_test_util.h"
#include "nlp/io/checkpoint.h"
#include "nlp/models/loading.h"

namespace nlp::test {

using HfFixture = Fixture;
inline Fixture load_hf_fixture(const std::string& name) { return load_fixture(name); }

inline double check_hf_fixture(const std::string& name, io::CheckpointFormat format) {
  INFO("fixture " << name << " from " << io::format_name(format));
  Fixture f = load_fixture(name);
  models::LoadOptions opt;
  opt.prefer = format;
  models::LoadedModel m = models::from_pretrained(f.dir, opt);
  CHECK(m.report.format == io::format_name(format));
  CHECK(m.report.newly_initialized.empty());
  CHECK(m.report.unexpected.empty());
  CHECK(m.model->architecture() == f.meta.at("hf_class").get<std::string>());
  CHECK(models::num_parameters(*m.model) == f.meta.at("num_parameters").get<int64_t>());
  CHECK(models::num_parameters(*m.model, true) == f.meta.at("num_parameters").get<int64_t>());
  torch::NoGradGuard g;
  models::ForwardOptions o;
  o.output_hidden_states = o.output_attentions = true;
  auto out = m.model->forward(f.inputs, o);
  double worst = require_outputs_match(f.expected, out);
  std::cout << "[parity] " << name << " (" << io::format_name(format) << "): max-abs diff " << worst << "\n";
  return worst;
}

}  // namespace nlp::test
