// Task models: a Backbone (registered under its base_model_prefix, e.g. "bert") plus heads,
// with the losses transformers computes when labels are given. Families instantiate these with
// their backbone, their Hugging Face names for the heads (KeyRules) and, where a family's head
// differs (RoBERTa's <s> classifier), their own SequenceHead.
//
// forward() inputs (Hugging Face names): input_ids, attention_mask, token_type_ids, position_ids
// ([batch, seq] int64; MultipleChoice: [batch, num_choices, seq]) and the task labels below.
// Outputs: the backbone's (last_hidden_state, pooler_output, hidden_states.<i>, attentions.<i>),
// the head logits under transformers' field names, and `loss` (0-dim) when labels are given.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nlp/heads/heads.h"
#include "nlp/models/model.h"

namespace nlp::heads {

class TaskModel : public models::PretrainedModel {
 public:
  std::shared_ptr<models::Backbone> backbone() const { return backbone_; }
  std::string architecture() const override { return architecture_; }
  std::string model_type() const override { return backbone_->model_type(); }
  std::string base_model_prefix() const override { return backbone_->base_model_prefix(); }
  bool is_task_model() const override { return true; }
  std::string hf_name(const std::string& our_name) const override;
  bool ignored_checkpoint_key(const std::string& hf_key) const override;
  // Head parameters (outside the backbone) and what the backbone allows (its pooler).
  bool may_be_newly_initialized(const std::string& hf_key) const override;
  void init_weights() override;
  json config_json() const override;

 protected:
  TaskModel(std::shared_ptr<models::Backbone> backbone, std::string architecture, models::KeyRules head_rules);
  template <class H>
  std::shared_ptr<H> add_head(const std::string& name, std::shared_ptr<H> head) {
    heads_.push_back(head);
    return register_module(name, head);
  }
  // Runs the backbone and copies its outputs into `out`.
  models::BackboneOutput encode(const models::TensorMap& inputs, const models::ForwardOptions& options,
                                models::TensorMap& out);

  std::shared_ptr<models::Backbone> backbone_;

 private:
  std::string architecture_;
  models::KeyRules head_rules_;
  std::vector<std::shared_ptr<Head>> heads_;
};

// Masked LM + sentence-level objective (BERT NSP §3.1 task #2; ALBERT SOP). Our head names:
// "mlm" (MaskedLMHead), "nsp" (sentence head). Outputs prediction_logits [batch, seq, vocab]
// and <sentence_logits_name> [batch, 2]. Labels: labels [batch, seq] (-100 ignored) and
// <sentence_labels_name> [batch]; loss = MLM CE + sentence CE, only when both are given.
class ForPreTraining : public TaskModel {
 public:
  ForPreTraining(std::shared_ptr<models::Backbone> backbone, std::string architecture, models::KeyRules head_rules,
                 const MaskedLMHeadConfig& mlm, std::shared_ptr<SequenceHead> sentence_head,
                 std::string sentence_logits_name = "seq_relationship_logits",
                 std::string sentence_labels_name = "next_sentence_label");
  models::TensorMap forward(const models::TensorMap& inputs, const models::ForwardOptions& options = {}) override;
  std::vector<models::TiedWeight> tied_weights() const override;
  std::shared_ptr<MaskedLMHead> mlm;
  std::shared_ptr<SequenceHead> nsp;

 private:
  std::string sentence_logits_name_, sentence_labels_name_;
};

// Masked LM. Head name "mlm". Output `logits` [batch, seq, vocab]; labels [batch, seq] (-100 ignored).
class ForMaskedLM : public TaskModel {
 public:
  ForMaskedLM(std::shared_ptr<models::Backbone> backbone, std::string architecture, models::KeyRules head_rules,
              const MaskedLMHeadConfig& mlm);
  models::TensorMap forward(const models::TensorMap& inputs, const models::ForwardOptions& options = {}) override;
  std::vector<models::TiedWeight> tied_weights() const override;
  std::shared_ptr<MaskedLMHead> mlm;
};

// Sequence classification / regression (BERT §4.1). Head name "classifier". Output `logits`
// [batch, num_labels]; labels [batch] (int: classes; float: regression) or [batch, num_labels]
// (multi-label); loss chosen by resolve_problem_type(problem_type, num_labels, labels).
class ForSequenceClassification : public TaskModel {
 public:
  ForSequenceClassification(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                            models::KeyRules head_rules, std::shared_ptr<SequenceHead> classifier,
                            int64_t num_labels, std::string problem_type);
  models::TensorMap forward(const models::TensorMap& inputs, const models::ForwardOptions& options = {}) override;
  std::shared_ptr<SequenceHead> classifier;

 private:
  int64_t num_labels_;
  std::string problem_type_;
};

// Token classification (BERT §4.3, NER). Head name "classifier" (over last_hidden_state).
// Output `logits` [batch, seq, num_labels]; labels [batch, seq] (-100 ignored).
class ForTokenClassification : public TaskModel {
 public:
  ForTokenClassification(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                         models::KeyRules head_rules, std::shared_ptr<SequenceHead> classifier, int64_t num_labels);
  models::TensorMap forward(const models::TensorMap& inputs, const models::ForwardOptions& options = {}) override;
  std::shared_ptr<SequenceHead> classifier;

 private:
  int64_t num_labels_;
};

// Extractive QA (BERT §4.2, SQuAD). Head name "qa_outputs" (Linear hidden -> 2 over the
// sequence). Outputs start_logits / end_logits [batch, seq]; labels start_positions /
// end_positions [batch]; loss = span_extraction_loss.
class ForQuestionAnswering : public TaskModel {
 public:
  ForQuestionAnswering(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                       models::KeyRules head_rules, std::shared_ptr<SequenceHead> qa_outputs);
  models::TensorMap forward(const models::TensorMap& inputs, const models::ForwardOptions& options = {}) override;
  std::shared_ptr<SequenceHead> qa_outputs;
};

// Multiple choice (SWAG, BERT §4.4). Inputs [batch, num_choices, seq] are flattened to
// [batch * num_choices, seq] for the backbone (its outputs keep that flattened batch); head
// name "classifier" scores each choice -> `logits` [batch, num_choices]; labels [batch].
class ForMultipleChoice : public TaskModel {
 public:
  ForMultipleChoice(std::shared_ptr<models::Backbone> backbone, std::string architecture,
                    models::KeyRules head_rules, std::shared_ptr<SequenceHead> classifier);
  models::TensorMap forward(const models::TensorMap& inputs, const models::ForwardOptions& options = {}) override;
  std::shared_ptr<SequenceHead> classifier;
};

}  // namespace nlp::heads
