#include "nlp/tasks/features.h"

#include <torch/torch.h>

#include <algorithm>

#include "nlp/util/error.h"

namespace nlp::tasks {

InputFeature to_feature(const tok::Encoding& enc) { return {enc.input_ids, enc.token_type_ids}; }

int64_t pad_id(const tok::Tokenizer& t) { return t.pad_token_id() >= 0 ? t.pad_token_id() : 0; }

models::TensorMap pad_batch(const std::vector<const InputFeature*>& fs, int64_t pad) {
  size_t len = 0;
  for (auto* f : fs) len = std::max(len, f->input_ids.size());
  const int64_t b = static_cast<int64_t>(fs.size()), s = static_cast<int64_t>(len);
  torch::Tensor ids = torch::full({b, s}, pad, torch::kLong);
  torch::Tensor types = torch::zeros({b, s}, torch::kLong);
  torch::Tensor mask = torch::zeros({b, s}, torch::kLong);
  auto pi = ids.accessor<int64_t, 2>();
  auto pt = types.accessor<int64_t, 2>();
  auto pm = mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i) {
    const auto& f = *fs[i];
    for (size_t j = 0; j < f.input_ids.size(); ++j) {
      pi[i][j] = f.input_ids[j];
      pt[i][j] = j < f.token_type_ids.size() ? f.token_type_ids[j] : 0;
      pm[i][j] = 1;
    }
  }
  return {{"input_ids", ids}, {"token_type_ids", types}, {"attention_mask", mask}};
}

models::TensorMap pad_choice_batch(const std::vector<std::vector<const InputFeature*>>& ex, int64_t pad) {
  std::vector<const InputFeature*> flat;
  size_t c = ex.empty() ? 0 : ex[0].size();
  for (auto& e : ex) {
    if (e.size() != c) fail("multiple choice batch", "examples with different numbers of choices in one batch");
    flat.insert(flat.end(), e.begin(), e.end());
  }
  models::TensorMap m = pad_batch(flat, pad);
  for (auto& [k, v] : m) v = v.view({static_cast<int64_t>(ex.size()), static_cast<int64_t>(c), -1});
  return m;
}

tok::Encoding encode_truncated(const tok::Tokenizer& t, const std::string& a, const std::string& b, int64_t max_length) {
  tok::EncodeOptions o;
  o.max_length = max_length;
  o.truncation = tok::Truncation::LongestFirst;
  return b.empty() ? t.encode(a, o) : t.encode(a, b, o);
}

PairTemplate pair_template(const tok::Tokenizer& t) {
  // Sentinels far outside any vocabulary.
  const int64_t A = -1000001, B = -1000002;
  std::vector<int64_t> a{A}, b{B};
  std::vector<int64_t> ids = t.build_inputs_with_special_tokens(a, &b);
  PairTemplate p;
  auto ia = std::find(ids.begin(), ids.end(), A), ib = std::find(ids.begin(), ids.end(), B);
  if (ia == ids.end() || ib == ids.end() || ib < ia) fail("tokenizer", "unexpected pair template");
  p.prefix.assign(ids.begin(), ia);
  p.middle.assign(ia + 1, ib);
  p.suffix.assign(ib + 1, ids.end());
  p.token_types = t.config().family == tok::Family::Bert || t.config().family == tok::Family::Albert;
  return p;
}

PairTemplate single_template(const tok::Tokenizer& t) {
  const int64_t A = -1000001;
  std::vector<int64_t> a{A};
  std::vector<int64_t> ids = t.build_inputs_with_special_tokens(a, nullptr);
  PairTemplate p;
  auto ia = std::find(ids.begin(), ids.end(), A);
  if (ia == ids.end()) fail("tokenizer", "unexpected single-sequence template");
  p.prefix.assign(ids.begin(), ia);
  p.suffix.assign(ia + 1, ids.end());
  p.token_types = false;
  return p;
}

}  // namespace nlp::tasks
