// Multiple choice (BERT §4.4 SWAG; GPT-1 §4.2 Story Cloze; transformers run_swag.py):
// each (context, choice) pair is encoded with longest_first truncation to max_seq_length, the
// model scores every choice, and the prediction is the softmax argmax over the choices.
#include <torch/torch.h>

#include <algorithm>

#include "nlp/data/multiple_choice.h"
#include "nlp/data/split.h"
#include "nlp/metrics/classification.h"
#include "nlp/tasks/features.h"
#include "nlp/tasks/task.h"
#include "nlp/tasks/task_util.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tasks {

namespace {

data::MultipleChoiceDataset read_mc(const std::string& kind, const std::string& path, const std::string& source) {
  if (kind == "story_cloze") return data::read_story_cloze_csv(path);
  if (kind == "swag") return data::read_swag_csv(path);
  if (kind == "swag_json") return data::read_swag_json(path);
  fail(source, "field 'task_name': expected story_cloze, swag or swag_json for task multiple_choice but got '" + kind + "'");
}

class MultipleChoiceTask : public FinetuneTask {
 public:
  MultipleChoiceTask(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t, bool with_train) : tok_(std::move(t)) {
    auto v = r.view();
    kind_ = v.require<std::string>("task_name");
    max_len_ = v.require<long>("max_seq_length");
    eval_bs_ = v.require<long>("per_device_eval_batch_size");
    const uint64_t seed = static_cast<uint64_t>(v.require<long>("split_seed"));
    std::vector<data::MultipleChoiceExample> train, eval;
    if (v.require<double>("eval_split_fraction") > 0) {
      auto ds = read_mc(kind_, train::resolve_data_path(r, "train_file"), r.source);
      check(ds);
      std::tie(train, eval) = data::split_items(ds.examples, v.require<double>("eval_split_fraction"), seed);
    } else {
      if (with_train) {
        auto ds = read_mc(kind_, train::resolve_data_path(r, "train_file"), r.source);
        check(ds);
        train = ds.examples;
      }
      auto de = read_mc(kind_, train::resolve_data_path(r, "eval_file"), r.source);
      check(de);
      eval = de.examples;
    }
    if (!with_train) train.clear();
    train = take_subset(train, v.require<long>("max_train_examples"), seed);
    eval = take_subset(eval, v.require<long>("max_eval_examples"), seed + 1);
    encode(train, train_f_, train_y_);
    encode(eval, eval_f_, eval_y_);
  }

  std::string head() const override { return "ForMultipleChoice"; }
  void configure_model(json& c) const override { c["finetuning_task"] = kind_; }
  std::string main_metric() const override { return "eval_accuracy"; }
  size_t num_train_examples() const override { return train_f_.size(); }
  size_t num_eval_examples() const override { return eval_f_.size(); }
  std::string describe() const override {
    return kind_ + ": " + std::to_string(train_f_.size()) + " train / " + std::to_string(eval_f_.size()) + " eval examples, " +
           std::to_string(num_choices_) + " choices, max_seq_length " + std::to_string(max_len_);
  }

  models::TensorMap train_batch(const std::vector<size_t>& idx) const override { return batch(train_f_, train_y_, idx); }

  train::EvalOutput evaluate(models::PretrainedModel& model) override {
    const size_t n = eval_f_.size();
    std::vector<int64_t> pred(n);
    std::vector<std::vector<double>> probs(n);
    double loss = 0;
    for (size_t s = 0; s < n; s += static_cast<size_t>(eval_bs_)) {
      std::vector<size_t> idx;
      for (size_t i = s; i < std::min(n, s + static_cast<size_t>(eval_bs_)); ++i) idx.push_back(i);
      models::TensorMap o = model.forward(batch(eval_f_, eval_y_, idx));
      loss += o.at("loss").item<double>() * static_cast<double>(idx.size());
      torch::Tensor p = torch::softmax(o.at("logits").to(torch::kFloat), -1);
      for (size_t k = 0; k < idx.size(); ++k) {
        pred[idx[k]] = p[static_cast<int64_t>(k)].argmax().item<int64_t>();
        for (int64_t c = 0; c < p.size(1); ++c) probs[idx[k]].push_back(p[static_cast<int64_t>(k)][c].item<double>());
      }
    }
    train::EvalOutput out;
    out.metrics["eval_loss"] = loss / static_cast<double>(std::max<size_t>(1, n));
    out.metrics["eval_accuracy"] = metrics::accuracy(pred, eval_y_);
    json pj = json::array();
    for (size_t i = 0; i < n; ++i) pj.push_back({{"index", i}, {"prediction", pred[i]}, {"probabilities", probs[i]}, {"label", eval_y_[i]}});
    out.predictions = pj;
    return out;
  }

  void write_predictions(const train::EvalOutput& e, const std::string& dir) const override {
    write_jsonl_atomic(path_join(dir, "eval_predictions.jsonl"), e.predictions);
  }

  std::string baseline() const override {
    if (eval_y_.empty()) return "";
    std::vector<size_t> counts(num_choices_, 0);
    for (auto y : eval_y_) counts[static_cast<size_t>(y)]++;
    size_t best = static_cast<size_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
    return "baseline: always choice " + std::to_string(best) + ": accuracy " +
           fmt_percent(static_cast<double>(counts[best]) / static_cast<double>(eval_y_.size())) + " (chance " +
           fmt_percent(1.0 / static_cast<double>(num_choices_)) + ")";
  }

 private:
  void check(const data::MultipleChoiceDataset& ds) {
    if (!ds.has_labels) fail(ds.path, "has no labels: fine-tuning needs labelled examples");
    if (num_choices_ == 0) num_choices_ = ds.num_choices;
    if (ds.num_choices != num_choices_)
      fail(ds.path, std::to_string(ds.num_choices) + " choices per example but the other file has " + std::to_string(num_choices_));
  }
  void encode(const std::vector<data::MultipleChoiceExample>& ex, std::vector<std::vector<InputFeature>>& f,
              std::vector<int64_t>& y) {
    for (auto& e : ex) {
      std::vector<InputFeature> choices;
      for (size_t i = 0; i < e.endings.size(); ++i) choices.push_back(to_feature(encode_truncated(*tok_, e.context, e.choice(i), max_len_)));
      f.push_back(std::move(choices));
      y.push_back(e.label);
    }
  }
  models::TensorMap batch(const std::vector<std::vector<InputFeature>>& f, const std::vector<int64_t>& y,
                          const std::vector<size_t>& idx) const {
    std::vector<std::vector<const InputFeature*>> ex;
    std::vector<int64_t> labels;
    for (size_t i : idx) {
      std::vector<const InputFeature*> c;
      for (auto& x : f[i]) c.push_back(&x);
      ex.push_back(std::move(c));
      labels.push_back(y[i]);
    }
    models::TensorMap m = pad_choice_batch(ex, pad_id(*tok_));
    m["labels"] = torch::tensor(labels, torch::kLong);
    return m;
  }

  std::shared_ptr<const tok::Tokenizer> tok_;
  std::string kind_;
  int64_t max_len_ = 128, eval_bs_ = 64;
  size_t num_choices_ = 0;
  std::vector<std::vector<InputFeature>> train_f_, eval_f_;
  std::vector<int64_t> train_y_, eval_y_;
};

}  // namespace

std::unique_ptr<FinetuneTask> make_multiple_choice_task(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t,
                                                        bool w) {
  return std::make_unique<MultipleChoiceTask>(r, std::move(t), w);
}

ChoicePrediction predict_choice(models::PretrainedModel& model, const tok::Tokenizer& t, const std::string& context,
                                const std::vector<std::string>& endings, int64_t max_len) {
  torch::NoGradGuard ng;
  model.eval();
  if (endings.size() < 2) fail("predict", "multiple choice needs at least 2 endings");
  std::vector<InputFeature> fs;
  for (auto& e : endings) fs.push_back(to_feature(encode_truncated(t, context, e, max_len)));
  std::vector<const InputFeature*> ptrs;
  for (auto& f : fs) ptrs.push_back(&f);
  models::TensorMap o = model.forward(pad_choice_batch({ptrs}, pad_id(t)));
  torch::Tensor p = torch::softmax(o.at("logits").to(torch::kFloat)[0], -1);
  ChoicePrediction r;
  for (int64_t i = 0; i < p.size(0); ++i) r.probabilities.push_back(p[i].item<double>());
  r.choice = p.argmax().item<int64_t>();
  return r;
}

}  // namespace nlp::tasks
