#include "nlp/models/electra.h"

#include <torch/torch.h>

#include "nlp/heads/task_models.h"
#include "nlp/models/registry.h"
#include "nlp/models/roberta.h"
#include "nlp/util/error.h"

namespace nlp::models {

// ---------------------------------------------------------------- config
ElectraConfig ElectraConfig::from_json(const json& j, const std::string& source) {
  const json defaults = {{"embedding_size", 128},
                         {"hidden_size", 256},
                         {"num_attention_heads", 4},
                         {"intermediate_size", 1024}};
  json filled = j;
  if (filled.is_object())  // transformers' ElectraConfig defaults (ELECTRA-small) where BERT's differ
    for (const auto& [key, value] : defaults.items())
      if (!filled.contains(key)) filled[key] = value;
  ElectraConfig c;
  c.bert = BertConfig::from_json(filled, source);
  if (c.bert.common.model_type == "bert" && !j.contains("model_type")) c.bert.common.model_type = "electra";
  JsonView v{filled, source};
  c.bert.embedding_size = v.get<int64_t>("embedding_size", 128);
  check_field(c.bert.embedding_size > 0, source, "embedding_size", "a positive integer", filled["embedding_size"]);
  c.summary_type = v.get<std::string>("summary_type", "first");
  check_one_of(source, "summary_type", c.summary_type, {"first", "last", "mean"});
  c.summary_use_proj = v.get<bool>("summary_use_proj", true);
  c.summary_proj_to_labels = v.get<bool>("summary_proj_to_labels", false);
  c.summary_activation = v.get<std::string>("summary_activation", "gelu");
  if (!c.summary_activation.empty()) nn::parse_activation(c.summary_activation, source, "summary_activation");
  c.summary_last_dropout = v.get<double>("summary_last_dropout", 0.1);
  c.summary_first_dropout = v.get<double>("summary_first_dropout", 0.0);
  return c;
}

json ElectraConfig::to_json() const {
  json j = bert.to_json();
  j["model_type"] = "electra";
  j["embedding_size"] = bert.embedding_size > 0 ? bert.embedding_size : bert.hidden_size;
  j["summary_type"] = summary_type;
  j["summary_use_proj"] = summary_use_proj;
  j["summary_activation"] = summary_activation;
  j["summary_last_dropout"] = summary_last_dropout;
  return j;
}

// ---------------------------------------------------------------- backbone
ElectraModel::ElectraModel(const ElectraConfig& config) : BertModel(config.bert, /*add_pooling_layer=*/false), electra_(config) {}

json ElectraModel::config_json() const {
  json j = electra_.to_json();
  j["architectures"] = json::array({"ElectraModel"});
  return j;
}

// ---------------------------------------------------------------- heads
namespace {

using heads::HeadInput;
using heads::LinearHead;
using heads::TaskModel;

// Replaced token detection (§2): one logit per token. Submodules dense [h, h], dense_prediction [1, h].
class DiscriminatorHead : public heads::Head {
 public:
  DiscriminatorHead(int64_t hidden_size, nn::Activation act) : act_(act) {
    dense = register_module("dense", torch::nn::Linear(hidden_size, hidden_size));
    dense_prediction = register_module("dense_prediction", torch::nn::Linear(hidden_size, 1));
  }
  at::Tensor forward(const at::Tensor& hidden) {  // [b, s, h] -> [b, s]
    return dense_prediction->forward(nn::activate(act_, dense->forward(hidden))).squeeze(-1);
  }
  void init_weights(double std) override {
    torch::NoGradGuard g;
    for (auto* lin : {&dense, &dense_prediction}) {
      (*lin)->weight.normal_(0.0, std);
      (*lin)->bias.zero_();
    }
  }
  torch::nn::Linear dense{nullptr}, dense_prediction{nullptr};

 private:
  nn::Activation act_;
};

class ElectraForPreTraining : public TaskModel {
 public:
  ElectraForPreTraining(std::shared_ptr<ElectraModel> backbone, nn::Activation act)
      : TaskModel(backbone, "ElectraForPreTraining", KeyRules()) {
    head = add_head("discriminator_predictions", std::make_shared<DiscriminatorHead>(backbone->hidden_size(), act));
  }
  // Outputs `logits` [batch, seq]; with `labels` [batch, seq] (1 = replaced), `loss` = BCE with
  // logits over the positions where attention_mask == 1 (all positions without a mask).
  TensorMap forward(const TensorMap& inputs, const ForwardOptions& options = {}) override {
    TensorMap out;
    at::Tensor logits = head->forward(encode(inputs, options, out).last_hidden_state);
    out["logits"] = logits;
    at::Tensor labels = optional_input(inputs, "labels");
    if (labels.defined()) {
      at::Tensor mask = optional_input(inputs, "attention_mask");
      at::Tensor l = logits.reshape({-1, logits.size(-1)}), y = labels.reshape({-1, logits.size(-1)}).to(logits.scalar_type());
      if (mask.defined()) {
        at::Tensor active = mask.reshape({-1, logits.size(-1)}).eq(1);
        l = l.masked_select(active);
        y = y.masked_select(active);
      }
      out["loss"] = torch::binary_cross_entropy_with_logits(l, y);
    }
    return out;
  }
  std::shared_ptr<DiscriminatorHead> head;
};

// The generator: heads::ForMaskedLM whose decoder bias has no alias of its own
// (generator_lm_head.bias is the bias), so only the tied weight is listed.
class ElectraForMaskedLM : public heads::ForMaskedLM {
 public:
  using heads::ForMaskedLM::ForMaskedLM;
  std::vector<TiedWeight> tied_weights() const override {
    std::vector<TiedWeight> ties;
    for (auto& t : heads::ForMaskedLM::tied_weights())
      if (t.alias != t.source) ties.push_back(t);
    return ties;
  }
};

// SequenceSummary + Linear(hidden, 1) of ElectraForMultipleChoice. Our names: summary (Linear),
// weight / bias (the classifier); registered as "classifier" in ForMultipleChoice.
class MultipleChoiceHead : public heads::SequenceHead {
 public:
  MultipleChoiceHead(const ElectraConfig& c, int64_t num_labels) : c_(c) {
    const int64_t h = c.bert.hidden_size;
    if (c.summary_use_proj)
      summary = register_module(
          "summary", torch::nn::Linear(h, c.summary_proj_to_labels && num_labels > 0 ? num_labels : h));
    const int64_t summary_out = summary ? summary->weight.size(0) : h;
    weight = register_parameter("weight", torch::empty({1, summary_out}));
    bias = register_parameter("bias", torch::zeros({1}));
    first_dropout = register_module("first_dropout", torch::nn::Dropout(c.summary_first_dropout));
    last_dropout = register_module("last_dropout", torch::nn::Dropout(c.summary_last_dropout));
    init_weights(0.02);
  }
  at::Tensor forward(const BackboneOutput& out) override {
    const at::Tensor& h = out.last_hidden_state;
    at::Tensor x = c_.summary_type == "first" ? h.select(1, 0) : c_.summary_type == "last" ? h.select(1, -1) : h.mean(1);
    x = first_dropout->forward(x);
    if (summary) x = summary->forward(x);
    if (!c_.summary_activation.empty()) x = nn::activate(nn::parse_activation(c_.summary_activation), x);
    x = last_dropout->forward(x);
    return torch::nn::functional::linear(x, weight, bias);
  }
  void init_weights(double std) override {
    torch::NoGradGuard g;
    if (summary) {
      summary->weight.normal_(0.0, std);
      summary->bias.zero_();
    }
    weight.normal_(0.0, std);
    bias.zero_();
  }
  torch::nn::Linear summary{nullptr};
  torch::nn::Dropout first_dropout{nullptr}, last_dropout{nullptr};
  at::Tensor weight, bias;

 private:
  ElectraConfig c_;
};

KeyRules electra_head_rules() {
  return KeyRules()
      .add("mlm.dense", "generator_predictions.dense")
      .add("mlm.layer_norm", "generator_predictions.LayerNorm")
      .add("mlm.decoder", "generator_lm_head")
      .add("mlm.bias", "generator_lm_head.bias")
      .add("classifier.summary", "sequence_summary.summary");
}

const std::vector<std::string>& electra_architectures() {
  static const std::vector<std::string> names = {
      "ElectraModel", "ElectraForPreTraining", "ElectraForMaskedLM", "ElectraForSequenceClassification",
      "ElectraForTokenClassification", "ElectraForQuestionAnswering", "ElectraForMultipleChoice"};
  return names;
}

}  // namespace

std::shared_ptr<PretrainedModel> build_electra(const ElectraConfig& c, const std::string& arch) {
  using namespace heads;
  check_one_of(c.bert.common.source, "architectures", arch, electra_architectures());
  auto backbone = std::make_shared<ElectraModel>(c);
  const int64_t h = c.bert.hidden_size, labels = c.bert.common.num_labels;
  const nn::Activation act = nn::parse_activation(c.bert.hidden_act, c.bert.common.source);
  std::shared_ptr<PretrainedModel> model;
  if (arch == "ElectraModel") {
    model = backbone;
  } else if (arch == "ElectraForPreTraining") {
    model = std::make_shared<ElectraForPreTraining>(backbone, act);
  } else if (arch == "ElectraForMaskedLM") {
    MaskedLMHeadConfig m;  // ElectraGeneratorPredictions: gelu is fixed, not hidden_act
    m.hidden_size = h;
    m.embedding_size = c.bert.embedding_size;
    m.vocab_size = c.bert.vocab_size;
    m.activation = nn::Activation::Gelu;
    m.layer_norm_eps = c.bert.layer_norm_eps;
    m.tie_word_embeddings = c.bert.common.tie_word_embeddings;
    model = std::make_shared<ElectraForMaskedLM>(backbone, arch, electra_head_rules(), m);
  } else if (arch == "ElectraForSequenceClassification") {
    model = std::make_shared<ForSequenceClassification>(
        backbone, arch, electra_head_rules(),
        std::make_shared<FirstTokenClassificationHead>(h, labels, c.bert.head_dropout(), nn::Activation::Gelu), labels,
        c.bert.common.problem_type);
  } else if (arch == "ElectraForTokenClassification") {
    model = std::make_shared<ForTokenClassification>(
        backbone, arch, electra_head_rules(),
        std::make_shared<LinearHead>(h, labels, c.bert.head_dropout(), HeadInput::Sequence), labels);
  } else if (arch == "ElectraForQuestionAnswering") {
    model = std::make_shared<ForQuestionAnswering>(backbone, arch, electra_head_rules(),
                                                   std::make_shared<LinearHead>(h, labels, 0.0, HeadInput::Sequence));
  } else {  // ElectraForMultipleChoice
    model = std::make_shared<ForMultipleChoice>(backbone, arch, electra_head_rules(),
                                                std::make_shared<MultipleChoiceHead>(c, labels));
  }
  model->init_weights();
  return model;
}

void register_electra_models() {
  for (const auto& arch : electra_architectures())
    register_architecture({"electra", arch, arch == "ElectraModel", [arch](const json& config, const std::string& source) {
                             return build_electra(ElectraConfig::from_json(config, source), arch);
                           }});
}

}  // namespace nlp::models
