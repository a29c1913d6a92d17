// Sequence classification / regression over GLUE TSV files (BERT §4.1; transformers run_glue).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "nlp/data/glue.h"
#include "nlp/data/split.h"
#include "nlp/metrics/classification.h"
#include "nlp/tasks/features.h"
#include "nlp/tasks/task.h"
#include "nlp/tasks/task_util.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tasks {

namespace {

class GlueTask : public FinetuneTask {
 public:
  GlueTask(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t, bool with_train) : tok_(std::move(t)) {
    auto v = r.view();
    const std::string name = v.require<std::string>("task_name");
    info_ = data::glue_task_info(name);
    max_len_ = v.require<long>("max_seq_length");
    eval_bs_ = v.require<long>("per_device_eval_batch_size");
    const uint64_t split_seed = static_cast<uint64_t>(v.require<long>("split_seed"));
    const double frac = v.require<double>("eval_split_fraction");
    std::vector<data::GlueExample> train, eval;
    if (frac > 0) {
      auto ds = data::read_glue_tsv(name, train::resolve_data_path(r, "train_file"));
      check_labels(ds);
      std::tie(train, eval) = data::split_items(ds.examples, frac, split_seed);
    } else {
      if (with_train) {
        auto ds = data::read_glue_tsv(name, train::resolve_data_path(r, "train_file"));
        check_labels(ds);
        train = std::move(ds.examples);
      }
      auto de = data::read_glue_tsv(name, train::resolve_data_path(r, "eval_file"));
      check_labels(de);
      eval = std::move(de.examples);
    }
    if (!with_train) train.clear();
    train = take_subset(train, v.require<long>("max_train_examples"), split_seed);
    eval = take_subset(eval, v.require<long>("max_eval_examples"), split_seed + 1);
    encode(train, train_f_, train_y_, train_score_);
    encode(eval, eval_f_, eval_y_, eval_score_);
  }

  std::string head() const override { return "ForSequenceClassification"; }
  void configure_model(json& c) const override {
    if (info_.is_regression) {
      c["num_labels"] = 1;
      c["id2label"] = {{"0", "LABEL_0"}};
      c["label2id"] = {{"LABEL_0", 0}};
      c["problem_type"] = "regression";
    } else {
      json id2 = json::object(), l2i = json::object();
      for (size_t i = 0; i < info_.label_names.size(); ++i) {
        id2[std::to_string(i)] = info_.label_names[i];
        l2i[info_.label_names[i]] = i;
      }
      c["num_labels"] = info_.label_names.size();
      c["id2label"] = id2;
      c["label2id"] = l2i;
      c["problem_type"] = "single_label_classification";
    }
    c["finetuning_task"] = info_.name;
  }
  std::string main_metric() const override {
    if (info_.name == "cola") return "eval_matthews_correlation";
    if (info_.is_regression) return "eval_spearmanr";
    if (info_.name == "mrpc" || info_.name == "qqp") return "eval_f1";
    return "eval_accuracy";
  }
  size_t num_train_examples() const override { return train_f_.size(); }
  size_t num_eval_examples() const override { return eval_f_.size(); }
  std::string describe() const override {
    return info_.name + ": " + std::to_string(train_f_.size()) + " train / " + std::to_string(eval_f_.size()) +
           " eval examples, max_seq_length " + std::to_string(max_len_);
  }

  models::TensorMap train_batch(const std::vector<size_t>& idx) const override {
    std::vector<const InputFeature*> fs;
    for (size_t i : idx) fs.push_back(&train_f_[i]);
    models::TensorMap m = pad_batch(fs, pad_id(*tok_));
    m["labels"] = labels_tensor(idx, train_y_, train_score_);
    return m;
  }

  train::EvalOutput evaluate(models::PretrainedModel& model) override {
    train::EvalOutput out;
    const size_t n = eval_f_.size();
    std::vector<int64_t> pred(n);
    std::vector<double> pred_score(n), conf(n);
    double loss_sum = 0;
    for (size_t s = 0; s < n; s += static_cast<size_t>(eval_bs_)) {
      std::vector<size_t> idx;
      std::vector<const InputFeature*> fs;
      for (size_t i = s; i < std::min(n, s + static_cast<size_t>(eval_bs_)); ++i) {
        idx.push_back(i);
        fs.push_back(&eval_f_[i]);
      }
      models::TensorMap in = pad_batch(fs, pad_id(*tok_));
      in["labels"] = labels_tensor(idx, eval_y_, eval_score_);
      models::TensorMap o = model.forward(in);
      loss_sum += o.at("loss").item<double>() * static_cast<double>(idx.size());
      torch::Tensor logits = o.at("logits").to(torch::kFloat).contiguous();
      if (info_.is_regression) {
        for (size_t k = 0; k < idx.size(); ++k) pred_score[idx[k]] = logits[k][0].item<double>();
      } else {
        torch::Tensor probs = torch::softmax(logits, -1);
        torch::Tensor am = probs.argmax(-1);
        for (size_t k = 0; k < idx.size(); ++k) {
          pred[idx[k]] = am[k].item<int64_t>();
          conf[idx[k]] = probs[k][pred[idx[k]]].item<double>();
        }
      }
    }
    out.metrics["eval_loss"] = loss_sum / static_cast<double>(std::max<size_t>(1, n));
    metrics::MetricList ms = info_.is_regression ? metrics::glue_regression_metrics(pred_score, eval_score_)
                                                 : metrics::glue_metrics(info_.name, pred, eval_y_);
    for (auto& [k, v] : ms) out.metrics["eval_" + k] = v;
    json preds = json::array();
    for (size_t i = 0; i < n; ++i) {
      if (info_.is_regression) preds.push_back({{"index", i}, {"prediction", pred_score[i]}, {"label", eval_score_[i]}});
      else
        preds.push_back({{"index", i}, {"prediction", info_.label_names[pred[i]]}, {"score", conf[i]},
                         {"label", info_.label_names[eval_y_[i]]}});
    }
    out.predictions = preds;
    return out;
  }

  void write_predictions(const train::EvalOutput& e, const std::string& dir) const override {
    write_jsonl_atomic(path_join(dir, "eval_predictions.jsonl"), e.predictions);
  }

  std::string baseline() const override {
    if (eval_f_.empty()) return "";
    if (info_.is_regression) {
      // constant prediction has undefined correlation: report it as such
      return "baseline: a constant prediction has Pearson/Spearman 0 (undefined)";
    }
    std::map<int64_t, size_t> counts;
    for (int64_t y : eval_y_) counts[y]++;
    auto best = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.second < b.second; });
    const double acc = static_cast<double>(best->second) / static_cast<double>(eval_y_.size());
    std::string s = "majority-class baseline (always '" + info_.label_names[best->first] + "'): accuracy " +
                    fmt_percent(acc);
    if (info_.name == "cola") s += ", matthews_correlation 0.0000";
    if (info_.name == "mrpc" || info_.name == "qqp") {
      std::vector<int64_t> p(eval_y_.size(), best->first);
      s += ", f1 " + fmt_fixed(metrics::f1_binary(p, eval_y_), 4);
    }
    return s;
  }

 private:
  void check_labels(const data::GlueDataset& ds) const {
    if (!ds.has_labels) fail(ds.path, "has no label column (a test split?): fine-tuning needs labelled train/dev files");
  }
  void encode(const std::vector<data::GlueExample>& ex, std::vector<InputFeature>& f, std::vector<int64_t>& y,
              std::vector<double>& score) {
    std::vector<std::string> a, b;
    for (auto& e : ex) {
      a.push_back(e.text_a);
      if (info_.is_pair) b.push_back(e.text_b);
      y.push_back(e.label);
      score.push_back(e.score);
    }
    if (ex.empty()) return;
    tok::EncodeOptions o;
    o.max_length = max_len_;
    o.truncation = tok::Truncation::LongestFirst;
    tok::BatchEncoding be = tok_->encode_batch(a, b, o, 2);
    for (auto& enc : be.encodings) f.push_back(to_feature(enc));
  }
  torch::Tensor labels_tensor(const std::vector<size_t>& idx, const std::vector<int64_t>& y,
                              const std::vector<double>& score) const {
    if (info_.is_regression) {
      std::vector<float> v;
      for (size_t i : idx) v.push_back(static_cast<float>(score[i]));
      return torch::tensor(v, torch::kFloat);
    }
    std::vector<int64_t> v;
    for (size_t i : idx) v.push_back(y[i]);
    return torch::tensor(v, torch::kLong);
  }

  std::shared_ptr<const tok::Tokenizer> tok_;
  data::GlueTaskInfo info_;
  int64_t max_len_ = 128, eval_bs_ = 64;
  std::vector<InputFeature> train_f_, eval_f_;
  std::vector<int64_t> train_y_, eval_y_;
  std::vector<double> train_score_, eval_score_;
};

}  // namespace

std::unique_ptr<FinetuneTask> make_glue_task(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t,
                                             bool with_train) {
  return std::make_unique<GlueTask>(r, std::move(t), with_train);
}

ClassPrediction predict_sequence(models::PretrainedModel& model, const tok::Tokenizer& t, const json& config,
                                 const std::string& text, const std::string& pair, int64_t max_len) {
  torch::NoGradGuard ng;
  model.eval();
  InputFeature f = to_feature(encode_truncated(t, text, pair, max_len));
  models::TensorMap o = model.forward(pad_batch({&f}, pad_id(t)));
  torch::Tensor logits = o.at("logits").to(torch::kFloat)[0];
  ClassPrediction p;
  const bool regression = config.value("problem_type", std::string()) == "regression" || logits.size(0) == 1;
  if (regression) {
    p.score = logits[0].item<double>();
    return p;
  }
  torch::Tensor probs = torch::softmax(logits, -1);
  for (int64_t i = 0; i < probs.size(0); ++i) p.probabilities.push_back(probs[i].item<double>());
  p.label = probs.argmax().item<int64_t>();
  p.score = p.probabilities[p.label];
  p.label_name = label_name(config, p.label);
  return p;
}

}  // namespace nlp::tasks
