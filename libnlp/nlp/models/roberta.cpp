#include "nlp/models/roberta.h"

#include <torch/torch.h>

#include "nlp/heads/task_models.h"
#include "nlp/models/registry.h"

namespace nlp::models {

BertConfig roberta_config_from_json(const json& j, const std::string& source) {
  const json defaults = json{{"pad_token_id", 1}, {"bos_token_id", 0}, {"eos_token_id", 2}};
  json filled = j;
  if (filled.is_object())  // transformers' RobertaConfig defaults that differ from BertConfig's
    for (const auto& [key, value] : defaults.items())
      if (!filled.contains(key)) filled[key] = value;
  BertConfig c = BertConfig::from_json(filled, source);
  c.positions = nn::PositionKind::PaddingAware;
  c.common.model_type = "roberta";
  return c;
}

static BertConfig padding_aware(BertConfig c) {
  c.positions = nn::PositionKind::PaddingAware;
  return c;
}

RobertaModel::RobertaModel(BertConfig config, bool add_pooling_layer)
    : BertModel(padding_aware(std::move(config)), add_pooling_layer) {}

json RobertaModel::config_json() const {
  json j = config().to_json();
  j["model_type"] = "roberta";
  j["architectures"] = json::array({"RobertaModel"});
  return j;
}

// ---------------------------------------------------------------- classification head
FirstTokenClassificationHead::FirstTokenClassificationHead(int64_t hidden_size, int64_t num_labels, double p,
                                                           nn::Activation activation)
    : activation_(activation) {
  dense = register_module("dense", torch::nn::Linear(hidden_size, hidden_size));
  out_proj = register_module("out_proj", torch::nn::Linear(hidden_size, num_labels));
  dropout = register_module("dropout", torch::nn::Dropout(p));
  init_weights(0.02);
}

at::Tensor FirstTokenClassificationHead::forward(const BackboneOutput& out) {
  at::Tensor x = dropout->forward(out.last_hidden_state.select(1, 0));
  x = dropout->forward(nn::activate(activation_, dense->forward(x)));
  return out_proj->forward(x);
}

void FirstTokenClassificationHead::init_weights(double std) {
  torch::NoGradGuard g;
  for (auto* lin : {&dense, &out_proj}) {
    (*lin)->weight.normal_(0.0, std);
    (*lin)->bias.zero_();
  }
}

// ---------------------------------------------------------------- task models
static KeyRules roberta_head_rules() { return KeyRules().add("mlm", "lm_head"); }

static const std::vector<std::string>& roberta_architectures() {
  static const std::vector<std::string> names = {
      "RobertaModel", "RobertaForMaskedLM", "RobertaForSequenceClassification", "RobertaForTokenClassification",
      "RobertaForQuestionAnswering", "RobertaForMultipleChoice"};
  return names;
}

std::shared_ptr<PretrainedModel> build_roberta(const BertConfig& c, const std::string& arch) {
  using namespace heads;
  check_one_of(c.common.source, "architectures", arch, roberta_architectures());
  const bool pooler = arch == "RobertaModel" || arch == "RobertaForMultipleChoice";
  auto backbone = std::make_shared<RobertaModel>(c, pooler);
  const int64_t h = c.hidden_size;
  std::shared_ptr<PretrainedModel> model;
  if (arch == "RobertaModel") {
    model = backbone;
  } else if (arch == "RobertaForMaskedLM") {
    MaskedLMHeadConfig m;  // RobertaLMHead: gelu is fixed, not hidden_act
    m.hidden_size = m.embedding_size = h;
    m.vocab_size = c.vocab_size;
    m.activation = nn::Activation::Gelu;
    m.layer_norm_eps = c.layer_norm_eps;
    m.tie_word_embeddings = c.common.tie_word_embeddings;
    model = std::make_shared<ForMaskedLM>(backbone, arch, roberta_head_rules(), m);
  } else if (arch == "RobertaForSequenceClassification") {
    model = std::make_shared<ForSequenceClassification>(
        backbone, arch, roberta_head_rules(),
        std::make_shared<FirstTokenClassificationHead>(h, c.common.num_labels, c.head_dropout(), nn::Activation::Tanh),
        c.common.num_labels, c.common.problem_type);
  } else if (arch == "RobertaForTokenClassification") {
    model = std::make_shared<ForTokenClassification>(
        backbone, arch, roberta_head_rules(),
        std::make_shared<LinearHead>(h, c.common.num_labels, c.head_dropout(), HeadInput::Sequence), c.common.num_labels);
  } else if (arch == "RobertaForQuestionAnswering") {
    model = std::make_shared<ForQuestionAnswering>(
        backbone, arch, roberta_head_rules(), std::make_shared<LinearHead>(h, c.common.num_labels, 0.0, HeadInput::Sequence));
  } else {  // RobertaForMultipleChoice: dropout(hidden_dropout_prob) + Linear over the pooled output
    model = std::make_shared<ForMultipleChoice>(
        backbone, arch, roberta_head_rules(), std::make_shared<LinearHead>(h, 1, c.hidden_dropout_prob, HeadInput::Pooled));
  }
  model->init_weights();
  return model;
}

void register_roberta_models() {
  for (const auto& arch : roberta_architectures())
    register_architecture({"roberta", arch, arch == "RobertaModel", [arch](const json& config, const std::string& source) {
                             return build_roberta(roberta_config_from_json(config, source), arch);
                           }});
}

}  // namespace nlp::models
