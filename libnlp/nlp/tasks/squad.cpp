// Extractive QA (BERT §4.2 / §4.3; transformers run_qa.py and utils_qa.py semantics).
#include "nlp/tasks/squad.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "nlp/data/split.h"
#include "nlp/data/squad.h"
#include "nlp/metrics/squad.h"
#include "nlp/tasks/task_util.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tasks {

namespace {

std::string lstrip(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return s.substr(i);
}

// Code point index of byte offset `b` in UTF-8 `s`.
int64_t char_index(const std::string& s, int64_t b) {
  int64_t n = 0;
  for (int64_t i = 0; i < b && i < static_cast<int64_t>(s.size()); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<size_t> top_indices(const std::vector<float>& v, size_t len, size_t k) {
  std::vector<size_t> idx(std::min(len, v.size()));
  std::iota(idx.begin(), idx.end(), 0);
  // numpy argsort(...)[-1:-k-1:-1]: descending by value; ties: numpy's default quicksort is not
  // stable, we break ties by the larger index first (what a stable ascending sort reversed gives).
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::reverse(idx.begin(), idx.end());
  if (idx.size() > k) idx.resize(k);
  return idx;
}

}  // namespace

std::vector<QaFeature> make_qa_features(const tok::Tokenizer& t, const std::string& question, const std::string& context,
                                        const QaOptions& o, int64_t ans_b, int64_t ans_e, size_t example_index) {
  const PairTemplate tpl = pair_template(t);
  std::vector<tok::Piece> q = t.tokenize(lstrip(question));
  if (static_cast<int64_t>(q.size()) > o.max_query_length) q.resize(static_cast<size_t>(o.max_query_length));
  std::vector<tok::Piece> c = t.tokenize(context);
  const int64_t specials = static_cast<int64_t>(tpl.prefix.size() + tpl.middle.size() + tpl.suffix.size());
  const int64_t window = o.max_seq_length - static_cast<int64_t>(q.size()) - specials;
  if (window <= 0)
    fail("squad features", "max_seq_length " + std::to_string(o.max_seq_length) + " leaves no room for the context");
  const int64_t step = std::max<int64_t>(1, window - o.doc_stride);
  const int64_t n = static_cast<int64_t>(c.size());
  std::vector<QaFeature> out;
  for (int64_t start = 0;; start += step) {
    const int64_t end = std::min(n, start + window);
    QaFeature f;
    f.example_index = example_index;
    auto push = [&](int64_t id, int64_t type, std::pair<int64_t, int64_t> off) {
      f.input.input_ids.push_back(id);
      f.input.token_type_ids.push_back(tpl.token_types ? type : 0);
      f.offsets.push_back(off);
    };
    for (int64_t id : tpl.prefix) push(id, 0, {-1, -1});
    for (auto& p : q) push(p.id, 0, {-1, -1});
    for (int64_t id : tpl.middle) push(id, 0, {-1, -1});
    const int64_t ctx0 = static_cast<int64_t>(f.input.input_ids.size());
    for (int64_t i = start; i < end; ++i) push(c[i].id, 1, {c[i].begin, c[i].end});
    const int64_t ctx1 = static_cast<int64_t>(f.input.input_ids.size()) - 1;  // last context token
    for (int64_t id : tpl.suffix) push(id, 1, {-1, -1});
    if (ans_b >= 0 && end > start) {
      if (f.offsets[ctx0].first <= ans_b && f.offsets[ctx1].second >= ans_e) {
        int64_t s = ctx0;
        while (s <= ctx1 && f.offsets[s].first <= ans_b) ++s;
        int64_t e = ctx1;
        while (e >= ctx0 && f.offsets[e].second >= ans_e) --e;
        f.start_position = s - 1;
        f.end_position = e + 1;
        f.answer_in_window = true;
      }
    }
    out.push_back(std::move(f));
    if (end >= n) break;
  }
  return out;
}

QaExamplePrediction postprocess_qa(const std::string& context, const std::vector<const QaFeature*>& feats,
                                   const std::vector<std::vector<float>>& sl, const std::vector<std::vector<float>>& el,
                                   const QaOptions& o) {
  std::vector<QaCandidate> prelim;
  bool have_null = false;
  QaCandidate min_null;
  for (size_t fi = 0; fi < feats.size(); ++fi) {
    const QaFeature& f = *feats[fi];
    const size_t len = f.offsets.size();
    const double null_score = sl[fi][0] + el[fi][0];
    if (!have_null || min_null.score() > null_score) {
      have_null = true;
      min_null = QaCandidate{"", 0, 0, sl[fi][0], el[fi][0], 0};
    }
    auto starts = top_indices(sl[fi], len, static_cast<size_t>(o.n_best_size));
    auto ends = top_indices(el[fi], len, static_cast<size_t>(o.n_best_size));
    for (size_t s : starts)
      for (size_t e : ends) {
        if (f.offsets[s].first < 0 || f.offsets[e].first < 0) continue;  // outside the context
        if (e < s || static_cast<int64_t>(e - s + 1) > o.max_answer_length) continue;
        QaCandidate c;
        c.begin_byte = f.offsets[s].first;
        c.end_byte = f.offsets[e].second;
        c.start_logit = sl[fi][s];
        c.end_logit = el[fi][e];
        prelim.push_back(c);
      }
  }
  if (o.version_2_with_negative && have_null) prelim.push_back(min_null);
  std::stable_sort(prelim.begin(), prelim.end(), [](const QaCandidate& a, const QaCandidate& b) { return a.score() > b.score(); });
  if (prelim.size() > static_cast<size_t>(o.n_best_size)) prelim.resize(static_cast<size_t>(o.n_best_size));
  if (o.version_2_with_negative && have_null) {
    bool has = false;
    for (auto& c : prelim) has = has || (c.begin_byte == 0 && c.end_byte == 0);
    if (!has) prelim.push_back(min_null);
  }
  for (auto& c : prelim) c.text = context.substr(static_cast<size_t>(c.begin_byte), static_cast<size_t>(c.end_byte - c.begin_byte));
  if (prelim.empty() || (prelim.size() == 1 && prelim[0].text.empty()))
    prelim.insert(prelim.begin(), QaCandidate{"empty", 0, 0, 0, 0, 0});
  double mx = -INFINITY;
  for (auto& c : prelim) mx = std::max(mx, c.score());
  double z = 0;
  for (auto& c : prelim) z += std::exp(c.score() - mx);
  for (auto& c : prelim) c.probability = std::exp(c.score() - mx) / z;
  QaExamplePrediction p;
  p.n_best = prelim;
  if (!o.version_2_with_negative) {
    p.answer = prelim[0].text;
    return p;
  }
  size_t i = 0;
  while (i < prelim.size() && prelim[i].text.empty()) ++i;
  if (i == prelim.size()) {
    p.answer = "";
    return p;
  }
  p.null_score_diff = min_null.score() - prelim[i].start_logit - prelim[i].end_logit;
  p.answer = p.null_score_diff > o.null_score_diff_threshold ? "" : prelim[i].text;
  return p;
}

namespace {

class SquadTask : public FinetuneTask {
 public:
  SquadTask(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t, bool with_train) : tok_(std::move(t)) {
    auto v = r.view();
    o_.max_seq_length = v.require<long>("max_seq_length");
    o_.doc_stride = v.require<long>("doc_stride");
    o_.max_query_length = v.require<long>("max_query_length");
    o_.n_best_size = v.require<long>("n_best_size");
    o_.max_answer_length = v.require<long>("max_answer_length");
    o_.null_score_diff_threshold = v.require<double>("null_score_diff_threshold");
    eval_bs_ = v.require<long>("per_device_eval_batch_size");
    const uint64_t seed = static_cast<uint64_t>(v.require<long>("split_seed"));
    const double frac = v.require<double>("eval_split_fraction");
    std::vector<data::QaExample> train;
    data::QaDataset eval_ds;
    if (frac > 0) {
      data::QaDataset ds = data::read_squad_json(train::resolve_data_path(r, "train_file"));
      // split by paragraph, so no context is seen in both parts
      size_t np = 0;
      for (auto& e : ds.examples) np = std::max(np, e.paragraph_index + 1);
      data::SplitIndices s = data::train_eval_split(np, frac, seed);
      std::vector<char> is_eval(np, 0);
      for (size_t i : s.eval) is_eval[i] = 1;
      eval_ds.path = ds.path;
      eval_ds.version = ds.version;
      eval_ds.is_v2 = ds.is_v2;
      for (auto& e : ds.examples) (is_eval[e.paragraph_index] ? eval_ds.examples : train).push_back(e);
      name_ = ds.path;
    } else {
      if (with_train) train = data::read_squad_json(train::resolve_data_path(r, "train_file")).examples;
      eval_ds = data::read_squad_json(train::resolve_data_path(r, "eval_file"));
      name_ = eval_ds.path;
    }
    o_.version_2_with_negative = v.require<bool>("version_2_with_negative") || eval_ds.is_v2;
    if (!with_train) train.clear();
    train = take_subset(train, v.require<long>("max_train_examples"), seed);
    eval_ds.examples = take_subset(eval_ds.examples, v.require<long>("max_eval_examples"), seed + 1);
    if (eval_ds.examples.empty()) fail(r.source, "no evaluation questions");
    for (size_t i = 0; i < train.size(); ++i) {
      const auto& e = train[i];
      int64_t b = -1, en = -1;
      if (!e.answers.empty()) {  // HF trains on the first answer
        b = e.answers[0].answer_start_byte;
        en = e.answers[0].answer_end_byte;
      }
      for (auto& f : make_qa_features(*tok_, e.question, e.context, o_, b, en, i)) train_f_.push_back(std::move(f));
    }
    num_train_questions_ = train.size();
    for (size_t i = 0; i < eval_ds.examples.size(); ++i) {
      const auto& e = eval_ds.examples[i];
      for (auto& f : make_qa_features(*tok_, e.question, e.context, o_, -1, -1, i)) eval_f_.push_back(std::move(f));
    }
    eval_ds_ = std::move(eval_ds);
    refs_ = metrics::squad_references(eval_ds_);
  }

  std::string head() const override { return "ForQuestionAnswering"; }
  void configure_model(json&) const override {}
  std::string main_metric() const override { return o_.version_2_with_negative ? "eval_f1" : "eval_f1"; }
  size_t num_train_examples() const override { return train_f_.size(); }
  size_t num_eval_examples() const override { return eval_ds_.examples.size(); }
  std::string describe() const override {
    return name_ + ": " + std::to_string(num_train_questions_) + " train questions (" + std::to_string(train_f_.size()) +
           " windows) / " + std::to_string(eval_ds_.examples.size()) + " eval questions (" +
           std::to_string(eval_f_.size()) + " windows), max_seq_length " + std::to_string(o_.max_seq_length) +
           ", doc_stride " + std::to_string(o_.doc_stride) + (o_.version_2_with_negative ? ", SQuAD v2.0" : "");
  }

  models::TensorMap train_batch(const std::vector<size_t>& idx) const override {
    std::vector<const InputFeature*> fs;
    std::vector<int64_t> sp, ep;
    for (size_t i : idx) {
      fs.push_back(&train_f_[i].input);
      sp.push_back(train_f_[i].start_position);
      ep.push_back(train_f_[i].end_position);
    }
    models::TensorMap m = pad_batch(fs, pad_id(*tok_));
    m["start_positions"] = torch::tensor(sp, torch::kLong);
    m["end_positions"] = torch::tensor(ep, torch::kLong);
    return m;
  }

  train::EvalOutput evaluate(models::PretrainedModel& model) override {
    std::vector<std::vector<float>> sl(eval_f_.size()), el(eval_f_.size());
    for (size_t s = 0; s < eval_f_.size(); s += static_cast<size_t>(eval_bs_)) {
      std::vector<const InputFeature*> fs;
      const size_t e = std::min(eval_f_.size(), s + static_cast<size_t>(eval_bs_));
      for (size_t i = s; i < e; ++i) fs.push_back(&eval_f_[i].input);
      models::TensorMap o = model.forward(pad_batch(fs, pad_id(*tok_)));
      torch::Tensor st = o.at("start_logits").to(torch::kFloat).contiguous(), en = o.at("end_logits").to(torch::kFloat).contiguous();
      for (size_t i = s; i < e; ++i) {
        auto a = st[static_cast<int64_t>(i - s)], b = en[static_cast<int64_t>(i - s)];
        sl[i].assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
        el[i].assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
      }
    }
    std::map<size_t, std::vector<size_t>> by_example;
    for (size_t i = 0; i < eval_f_.size(); ++i) by_example[eval_f_[i].example_index].push_back(i);
    metrics::SquadPredictions preds;
    json pj = json::object(), nulls = json::object();
    std::vector<metrics::NaProb> na;
    for (auto& [ex, fis] : by_example) {
      std::vector<const QaFeature*> fs;
      std::vector<std::vector<float>> s2, e2;
      for (size_t fi : fis) {
        fs.push_back(&eval_f_[fi]);
        s2.push_back(sl[fi]);
        e2.push_back(el[fi]);
      }
      const auto& q = eval_ds_.examples[ex];
      QaExamplePrediction p = postprocess_qa(q.context, fs, s2, e2, o_);
      preds[q.id] = p.answer;
      pj[q.id] = p.answer;
      nulls[q.id] = p.null_score_diff;
      na.push_back({q.id, p.null_score_diff, false});
    }
    train::EvalOutput out;
    if (!o_.version_2_with_negative) {
      metrics::SquadV1Result r = metrics::evaluate_squad_v1(refs_, preds);
      out.metrics["eval_exact_match"] = r.exact_match;
      out.metrics["eval_f1"] = r.f1;
    } else {
      metrics::SquadV2Result r = metrics::evaluate_squad_v2(refs_, preds);
      out.metrics["eval_exact"] = r.exact;
      out.metrics["eval_f1"] = r.f1;
      if (r.has_ans_present) {
        out.metrics["eval_HasAns_exact"] = r.has_ans_exact;
        out.metrics["eval_HasAns_f1"] = r.has_ans_f1;
      }
      if (r.no_ans_present) {
        out.metrics["eval_NoAns_exact"] = r.no_ans_exact;
        out.metrics["eval_NoAns_f1"] = r.no_ans_f1;
      }
    }
    out.predictions = {{"predictions", pj}, {"null_odds", nulls}};
    return out;
  }

  void write_predictions(const train::EvalOutput& e, const std::string& dir) const override {
    write_json_atomic(path_join(dir, "eval_predictions.json"), e.predictions.at("predictions"));
    if (o_.version_2_with_negative) write_json_atomic(path_join(dir, "eval_null_odds.json"), e.predictions.at("null_odds"));
  }

  std::string baseline() const override {
    return "baseline: a model that never finds the span scores exact_match 0 / f1 ~0 on answerable questions";
  }

 private:
  std::shared_ptr<const tok::Tokenizer> tok_;
  QaOptions o_;
  int64_t eval_bs_ = 64;
  std::string name_;
  size_t num_train_questions_ = 0;
  std::vector<QaFeature> train_f_, eval_f_;
  data::QaDataset eval_ds_;
  std::vector<metrics::SquadReference> refs_;
};

}  // namespace

std::unique_ptr<FinetuneTask> make_squad_task(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t, bool w) {
  return std::make_unique<SquadTask>(r, std::move(t), w);
}

SpanPrediction predict_answer(models::PretrainedModel& model, const tok::Tokenizer& t, const std::string& question,
                              const std::string& context, const QaOptions& o) {
  torch::NoGradGuard ng;
  model.eval();
  std::vector<QaFeature> fs = make_qa_features(t, question, context, o);
  std::vector<const QaFeature*> ptrs;
  std::vector<const InputFeature*> ins;
  for (auto& f : fs) {
    ptrs.push_back(&f);
    ins.push_back(&f.input);
  }
  models::TensorMap out = model.forward(pad_batch(ins, pad_id(t)));
  torch::Tensor st = out.at("start_logits").to(torch::kFloat).contiguous(), en = out.at("end_logits").to(torch::kFloat).contiguous();
  std::vector<std::vector<float>> sl, el;
  for (size_t i = 0; i < fs.size(); ++i) {
    auto a = st[static_cast<int64_t>(i)], b = en[static_cast<int64_t>(i)];
    sl.emplace_back(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
    el.emplace_back(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
  }
  QaExamplePrediction p = postprocess_qa(context, ptrs, sl, el, o);
  SpanPrediction r;
  r.text = p.answer;
  for (auto& c : p.n_best)
    if (c.text == p.answer) {
      r.score = c.score();
      r.probability = c.probability;
      if (!c.text.empty() && !(c.begin_byte == 0 && c.end_byte == 0 && c.text == "empty")) {
        r.start_char = char_index(context, c.begin_byte);
        r.end_char = char_index(context, c.end_byte);
      }
      break;
    }
  return r;
}

}  // namespace nlp::tasks
