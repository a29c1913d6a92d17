// Token classification / NER (BERT §5.3; transformers run_ner.py with label_all_tokens=False):
// each word is tokenised on its own (is_split_into_words), the word's first subword carries its
// label and the other subwords -100; the sequence is truncated to max_seq_length. Evaluation
// reads one prediction per word (its first subword) for the words that fit, and scores spans
// with conlleval semantics (seqeval).
#include <torch/torch.h>

#include <algorithm>

#include "nlp/data/conll.h"
#include "nlp/data/split.h"
#include "nlp/metrics/ner.h"
#include "nlp/tasks/features.h"
#include "nlp/tasks/task.h"
#include "nlp/tasks/task_util.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tasks {

namespace {

struct NerFeature {
  InputFeature input;
  std::vector<int64_t> labels;        // per token, -100 except on first subwords
  std::vector<int64_t> word_of_token;  // per token: word index for first subwords, else -1
  size_t num_words_kept = 0;
};

NerFeature encode_words(const tok::Tokenizer& t, const std::vector<std::string>& words, const std::vector<int64_t>& labels,
                        int64_t max_len) {
  const PairTemplate tpl = single_template(t);
  const int64_t budget = max_len - static_cast<int64_t>(tpl.prefix.size() + tpl.suffix.size());
  NerFeature f;
  for (int64_t id : tpl.prefix) {
    f.input.input_ids.push_back(id);
    f.labels.push_back(-100);
    f.word_of_token.push_back(-1);
  }
  int64_t used = 0;
  for (size_t w = 0; w < words.size(); ++w) {
    std::vector<tok::Piece> ps = t.tokenize(words[w]);
    if (ps.empty()) continue;
    // truncation (as the tokenizer truncates the flat subword sequence): keep what fits
    for (size_t k = 0; k < ps.size() && used < budget; ++k, ++used) {
      f.input.input_ids.push_back(ps[k].id);
      f.labels.push_back(k == 0 && !labels.empty() ? labels[w] : -100);
      f.word_of_token.push_back(k == 0 ? static_cast<int64_t>(w) : -1);
      if (k == 0) f.num_words_kept++;
    }
    if (used >= budget) break;
  }
  for (int64_t id : tpl.suffix) {
    f.input.input_ids.push_back(id);
    f.labels.push_back(-100);
    f.word_of_token.push_back(-1);
  }
  f.input.token_type_ids.assign(f.input.input_ids.size(), 0);
  return f;
}

class NerTask : public FinetuneTask {
 public:
  NerTask(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t, bool with_train) : tok_(std::move(t)) {
    auto v = r.view();
    max_len_ = v.require<long>("max_seq_length");
    eval_bs_ = v.require<long>("per_device_eval_batch_size");
    const uint64_t seed = static_cast<uint64_t>(v.require<long>("split_seed"));
    std::vector<data::ConllSentence> train, eval;
    if (v.require<double>("eval_split_fraction") > 0) {
      auto ds = data::read_conll2003(train::resolve_data_path(r, "train_file"));
      labels_ = ds.label_names;
      std::tie(train, eval) = data::split_items(ds.sentences, v.require<double>("eval_split_fraction"), seed);
    } else {
      if (with_train) {
        auto ds = data::read_conll2003(train::resolve_data_path(r, "train_file"));
        labels_ = ds.label_names;
        train = ds.sentences;
      }
      auto de = data::read_conll2003(train::resolve_data_path(r, "eval_file"));
      if (labels_.empty()) labels_ = de.label_names;
      eval = de.sentences;
    }
    if (!with_train) train.clear();
    train = take_subset(train, v.require<long>("max_train_examples"), seed);
    eval = take_subset(eval, v.require<long>("max_eval_examples"), seed + 1);
    for (auto& s : train) train_f_.push_back(encode_words(*tok_, s.tokens, ids(s), max_len_));
    for (auto& s : eval) {
      eval_f_.push_back(encode_words(*tok_, s.tokens, ids(s), max_len_));
      eval_words_.push_back(s.tokens);
      eval_tags_.push_back(s.ner_tags);
    }
  }

  std::string head() const override { return "ForTokenClassification"; }
  void configure_model(json& c) const override {
    json id2 = json::object(), l2i = json::object();
    for (size_t i = 0; i < labels_.size(); ++i) {
      id2[std::to_string(i)] = labels_[i];
      l2i[labels_[i]] = i;
    }
    c["num_labels"] = labels_.size();
    c["id2label"] = id2;
    c["label2id"] = l2i;
    c["finetuning_task"] = "ner";
  }
  std::string main_metric() const override { return "eval_f1"; }
  size_t num_train_examples() const override { return train_f_.size(); }
  size_t num_eval_examples() const override { return eval_f_.size(); }
  std::string describe() const override {
    return "CoNLL-2003 NER: " + std::to_string(train_f_.size()) + " train / " + std::to_string(eval_f_.size()) +
           " eval sentences, " + std::to_string(labels_.size()) + " labels, max_seq_length " + std::to_string(max_len_);
  }

  models::TensorMap train_batch(const std::vector<size_t>& idx) const override { return batch(train_f_, idx); }

  train::EvalOutput evaluate(models::PretrainedModel& model) override {
    const size_t n = eval_f_.size();
    std::vector<std::vector<std::string>> gold(n), pred(n);
    double loss = 0;
    for (size_t s = 0; s < n; s += static_cast<size_t>(eval_bs_)) {
      std::vector<size_t> idx;
      for (size_t i = s; i < std::min(n, s + static_cast<size_t>(eval_bs_)); ++i) idx.push_back(i);
      models::TensorMap o = model.forward(batch(eval_f_, idx));
      loss += o.at("loss").item<double>() * static_cast<double>(idx.size());
      torch::Tensor am = o.at("logits").argmax(-1).contiguous();
      for (size_t k = 0; k < idx.size(); ++k) {
        const NerFeature& f = eval_f_[idx[k]];
        for (size_t j = 0; j < f.word_of_token.size(); ++j) {
          int64_t w = f.word_of_token[j];
          if (w < 0) continue;
          gold[idx[k]].push_back(eval_tags_[idx[k]][static_cast<size_t>(w)]);
          pred[idx[k]].push_back(labels_[static_cast<size_t>(am[static_cast<int64_t>(k)][static_cast<int64_t>(j)].item<int64_t>())]);
        }
      }
    }
    metrics::NerScores sc = metrics::evaluate_ner(gold, pred);
    train::EvalOutput out;
    out.metrics["eval_loss"] = loss / static_cast<double>(std::max<size_t>(1, n));
    out.metrics["eval_precision"] = sc.precision;
    out.metrics["eval_recall"] = sc.recall;
    out.metrics["eval_f1"] = sc.f1;
    out.metrics["eval_accuracy"] = sc.accuracy;
    json pj = json::array();
    for (size_t i = 0; i < n; ++i) pj.push_back({{"index", i}, {"tokens", eval_words_[i]}, {"prediction", pred[i]}, {"label", gold[i]}});
    out.predictions = pj;
    return out;
  }

  void write_predictions(const train::EvalOutput& e, const std::string& dir) const override {
    write_jsonl_atomic(path_join(dir, "eval_predictions.jsonl"), e.predictions);
  }

  std::string baseline() const override {
    return "baseline: predicting 'O' everywhere gives entity F1 0 (token accuracy = share of 'O' tokens)";
  }

 private:
  std::vector<int64_t> ids(const data::ConllSentence& s) const {
    std::vector<int> v = data::tags_to_ids(s.ner_tags, labels_);
    return std::vector<int64_t>(v.begin(), v.end());
  }
  models::TensorMap batch(const std::vector<NerFeature>& f, const std::vector<size_t>& idx) const {
    std::vector<const InputFeature*> fs;
    size_t len = 0;
    for (size_t i : idx) {
      fs.push_back(&f[i].input);
      len = std::max(len, f[i].labels.size());
    }
    models::TensorMap m = pad_batch(fs, pad_id(*tok_));
    torch::Tensor y = torch::full({static_cast<int64_t>(idx.size()), static_cast<int64_t>(len)}, -100, torch::kLong);
    auto a = y.accessor<int64_t, 2>();
    for (size_t k = 0; k < idx.size(); ++k)
      for (size_t j = 0; j < f[idx[k]].labels.size(); ++j) a[static_cast<int64_t>(k)][static_cast<int64_t>(j)] = f[idx[k]].labels[j];
    m["labels"] = y;
    return m;
  }

  std::shared_ptr<const tok::Tokenizer> tok_;
  int64_t max_len_ = 128, eval_bs_ = 64;
  std::vector<std::string> labels_;
  std::vector<NerFeature> train_f_, eval_f_;
  std::vector<std::vector<std::string>> eval_words_, eval_tags_;
};

}  // namespace

std::unique_ptr<FinetuneTask> make_ner_task(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t, bool w) {
  return std::make_unique<NerTask>(r, std::move(t), w);
}

std::vector<TokenPrediction> predict_tokens(models::PretrainedModel& model, const tok::Tokenizer& t, const json& config,
                                            const std::string& text, int64_t max_len) {
  torch::NoGradGuard ng;
  model.eval();
  std::vector<std::string> words;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(cur);
  NerFeature f = encode_words(t, words, {}, max_len);
  models::TensorMap o = model.forward(pad_batch({&f.input}, pad_id(t)));
  torch::Tensor p = torch::softmax(o.at("logits").to(torch::kFloat)[0], -1);
  std::vector<TokenPrediction> out;
  for (size_t j = 0; j < f.word_of_token.size(); ++j) {
    int64_t w = f.word_of_token[j];
    if (w < 0) continue;
    int64_t l = p[static_cast<int64_t>(j)].argmax().item<int64_t>();
    out.push_back({words[static_cast<size_t>(w)], label_name(config, l), p[static_cast<int64_t>(j)][l].item<double>()});
  }
  return out;
}

}  // namespace nlp::tasks
