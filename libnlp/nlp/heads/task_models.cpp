#include "nlp/heads/task_models.h"

#include <torch/torch.h>

#include "nlp/util/error.h"

namespace nlp::heads {

using models::BackboneOutput;
using models::ForwardOptions;
using models::TensorMap;

TaskModel::TaskModel(std::shared_ptr<models::Backbone> backbone, std::string architecture, models::KeyRules head_rules)
    : backbone_(std::move(backbone)), architecture_(std::move(architecture)), head_rules_(std::move(head_rules)) {
  register_module(backbone_->base_model_prefix(), backbone_);
}

std::string TaskModel::hf_name(const std::string& our_name) const {
  return head_rules_.to_hf(backbone_->hf_name(our_name));
}

bool TaskModel::ignored_checkpoint_key(const std::string& hf_key) const { return backbone_->ignored_checkpoint_key(hf_key); }

bool TaskModel::may_be_newly_initialized(const std::string& hf_key) const {
  const std::string prefix = base_model_prefix() + ".";
  if (hf_key.rfind(prefix, 0) != 0) return true;  // a head parameter
  return backbone_->may_be_newly_initialized(hf_key.substr(prefix.size()));
}

void TaskModel::init_weights() {
  backbone_->init_weights();
  for (auto& h : heads_) h->init_weights(backbone_->initializer_range());
}

json TaskModel::config_json() const {
  json j = backbone_->config_json();
  j["architectures"] = json::array({architecture_});
  return j;
}

BackboneOutput TaskModel::encode(const TensorMap& inputs, const ForwardOptions& options, TensorMap& out) {
  BackboneOutput b = backbone_->encode(inputs, options);
  b.write(out);
  return b;
}

// ---- pre-training ----
ForPreTraining::ForPreTraining(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                               models::KeyRules head_rules, const MaskedLMHeadConfig& mlm_config,
                               std::shared_ptr<SequenceHead> sentence_head, std::string sentence_logits_name,
                               std::string sentence_labels_name)
    : TaskModel(std::move(backbone), std::move(architecture), std::move(head_rules)),
      sentence_logits_name_(std::move(sentence_logits_name)),
      sentence_labels_name_(std::move(sentence_labels_name)) {
  mlm = add_head("mlm", std::make_shared<MaskedLMHead>(mlm_config));
  nsp = add_head("nsp", std::move(sentence_head));
}

static std::vector<models::TiedWeight> mlm_ties(const TaskModel& m, const MaskedLMHead& mlm) {
  std::vector<models::TiedWeight> ties;
  if (!mlm.decoder)
    ties.push_back({m.hf_name("mlm.decoder.weight"),
                    m.hf_name(m.base_model_prefix() + "." + m.backbone()->input_embeddings_name())});
  ties.push_back({m.hf_name("mlm.decoder.bias"), m.hf_name("mlm.bias")});
  return ties;
}

std::vector<models::TiedWeight> ForPreTraining::tied_weights() const { return mlm_ties(*this, *mlm); }

TensorMap ForPreTraining::forward(const TensorMap& inputs, const ForwardOptions& options) {
  TensorMap out;
  BackboneOutput b = encode(inputs, options, out);
  at::Tensor prediction = mlm->forward(b.last_hidden_state, backbone_->input_embeddings());
  at::Tensor sentence = nsp->forward(b);
  out["prediction_logits"] = prediction;
  out[sentence_logits_name_] = sentence;
  at::Tensor labels = models::optional_input(inputs, "labels");
  at::Tensor sentence_labels = models::optional_input(inputs, sentence_labels_name_);
  if (labels.defined() && sentence_labels.defined())
    out["loss"] = cross_entropy(prediction.view({-1, prediction.size(-1)}), labels.view({-1})) +
                  cross_entropy(sentence.view({-1, sentence.size(-1)}), sentence_labels.view({-1}));
  return out;
}

// ---- masked LM ----
ForMaskedLM::ForMaskedLM(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                         models::KeyRules head_rules, const MaskedLMHeadConfig& mlm_config)
    : TaskModel(std::move(backbone), std::move(architecture), std::move(head_rules)) {
  mlm = add_head("mlm", std::make_shared<MaskedLMHead>(mlm_config));
}

std::vector<models::TiedWeight> ForMaskedLM::tied_weights() const { return mlm_ties(*this, *mlm); }

TensorMap ForMaskedLM::forward(const TensorMap& inputs, const ForwardOptions& options) {
  TensorMap out;
  BackboneOutput b = encode(inputs, options, out);
  at::Tensor logits = mlm->forward(b.last_hidden_state, backbone_->input_embeddings());
  out["logits"] = logits;
  at::Tensor labels = models::optional_input(inputs, "labels");
  if (labels.defined()) out["loss"] = cross_entropy(logits.view({-1, logits.size(-1)}), labels.view({-1}));
  return out;
}

// ---- sequence classification ----
ForSequenceClassification::ForSequenceClassification(std::shared_ptr<models::Backbone> backbone,
                                                     std::string architecture, models::KeyRules head_rules,
                                                     std::shared_ptr<SequenceHead> head, int64_t num_labels,
                                                     std::string problem_type)
    : TaskModel(std::move(backbone), std::move(architecture), std::move(head_rules)),
      num_labels_(num_labels),
      problem_type_(std::move(problem_type)) {
  classifier = add_head("classifier", std::move(head));
}

TensorMap ForSequenceClassification::forward(const TensorMap& inputs, const ForwardOptions& options) {
  TensorMap out;
  at::Tensor logits = classifier->forward(encode(inputs, options, out));
  out["logits"] = logits;
  at::Tensor labels = models::optional_input(inputs, "labels");
  if (labels.defined()) out["loss"] = sequence_classification_loss(logits, labels, num_labels_, problem_type_);
  return out;
}

// ---- token classification ----
ForTokenClassification::ForTokenClassification(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                                               models::KeyRules head_rules, std::shared_ptr<SequenceHead> head,
                                               int64_t num_labels)
    : TaskModel(std::move(backbone), std::move(architecture), std::move(head_rules)), num_labels_(num_labels) {
  classifier = add_head("classifier", std::move(head));
}

TensorMap ForTokenClassification::forward(const TensorMap& inputs, const ForwardOptions& options) {
  TensorMap out;
  at::Tensor logits = classifier->forward(encode(inputs, options, out));
  out["logits"] = logits;
  at::Tensor labels = models::optional_input(inputs, "labels");
  if (labels.defined()) out["loss"] = cross_entropy(logits.view({-1, num_labels_}), labels.view({-1}));
  return out;
}

// ---- question answering ----
ForQuestionAnswering::ForQuestionAnswering(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                                           models::KeyRules head_rules, std::shared_ptr<SequenceHead> head)
    : TaskModel(std::move(backbone), std::move(architecture), std::move(head_rules)) {
  qa_outputs = add_head("qa_outputs", std::move(head));
}

TensorMap ForQuestionAnswering::forward(const TensorMap& inputs, const ForwardOptions& options) {
  TensorMap out;
  at::Tensor logits = qa_outputs->forward(encode(inputs, options, out));  // [batch, seq, 2]
  auto parts = logits.split(1, -1);
  at::Tensor start = parts[0].squeeze(-1).contiguous(), end = parts[1].squeeze(-1).contiguous();
  out["start_logits"] = start;
  out["end_logits"] = end;
  at::Tensor sp = models::optional_input(inputs, "start_positions"), ep = models::optional_input(inputs, "end_positions");
  if (sp.defined() && ep.defined()) out["loss"] = span_extraction_loss(start, end, sp, ep);
  return out;
}

// ---- multiple choice ----
ForMultipleChoice::ForMultipleChoice(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                                     models::KeyRules head_rules, std::shared_ptr<SequenceHead> head)
    : TaskModel(std::move(backbone), std::move(architecture), std::move(head_rules)) {
  classifier = add_head("classifier", std::move(head));
}

TensorMap ForMultipleChoice::forward(const TensorMap& inputs, const ForwardOptions& options) {
  const at::Tensor& ids = models::require_input(inputs, "input_ids");
  if (ids.dim() != 3) fail("inputs", "'input_ids' for multiple choice must be [batch, num_choices, seq_len]");
  const int64_t num_choices = ids.size(1);
  TensorMap flat;
  for (const auto& [name, t] : inputs) {
    bool per_token = name == "input_ids" || name == "attention_mask" || name == "token_type_ids" || name == "position_ids";
    flat[name] = per_token && t.defined() ? t.reshape({-1, t.size(-1)}) : t;
  }
  TensorMap out;
  at::Tensor logits = classifier->forward(encode(flat, options, out)).view({-1, num_choices});
  out["logits"] = logits;
  at::Tensor labels = models::optional_input(inputs, "labels");
  if (labels.defined()) out["loss"] = cross_entropy(logits, labels.view({-1}));
  return out;
}

}  // namespace nlp::heads
