#include "nlp/models/bert.h"

#include <torch/torch.h>

#include "nlp/heads/task_models.h"
#include "nlp/models/registry.h"
#include "nlp/nn/init.h"
#include "nlp/util/error.h"

namespace nlp::models {

// ---------------------------------------------------------------- config
BertConfig BertConfig::from_json(const json& j, const std::string& source) {
  JsonView v{j, source};
  BertConfig c;
  c.common = CommonConfig::parse(v);
  auto positive = [&](const char* field, int64_t& out, int64_t def) {
    out = v.get<int64_t>(field, def);
    check_field(out > 0, source, field, "a positive integer", j.value(field, json()));
  };
  auto probability = [&](const char* field, double& out, double def) {
    out = v.get<double>(field, def);
    check_field(out >= 0.0 && out < 1.0, source, field, "a probability in [0, 1)", j.value(field, json()));
  };
  positive("vocab_size", c.vocab_size, 30522);
  positive("hidden_size", c.hidden_size, 768);
  positive("num_hidden_layers", c.num_hidden_layers, 12);
  positive("num_attention_heads", c.num_attention_heads, 12);
  positive("intermediate_size", c.intermediate_size, 3072);
  positive("max_position_embeddings", c.max_position_embeddings, 512);
  c.type_vocab_size = v.get<int64_t>("type_vocab_size", 2);
  check_field(c.type_vocab_size >= 0, source, "type_vocab_size", "an integer >= 0", j.value("type_vocab_size", json()));
  c.hidden_act = v.get<std::string>("hidden_act", "gelu");
  nn::parse_activation(c.hidden_act, source, "hidden_act");
  probability("hidden_dropout_prob", c.hidden_dropout_prob, 0.1);
  probability("attention_probs_dropout_prob", c.attention_probs_dropout_prob, 0.1);
  c.initializer_range = v.get<double>("initializer_range", 0.02);
  check_field(c.initializer_range >= 0.0, source, "initializer_range", "a number >= 0", j.value("initializer_range", json()));
  c.layer_norm_eps = v.get<double>("layer_norm_eps", 1e-12);
  check_field(c.layer_norm_eps > 0.0, source, "layer_norm_eps", "a positive number", j.value("layer_norm_eps", json()));
  c.pad_token_id = v.get<int64_t>("pad_token_id", 0);
  c.common.pad_token_id = c.pad_token_id;
  c.position_embedding_type = v.get<std::string>("position_embedding_type", "absolute");
  check_one_of(source, "position_embedding_type", c.position_embedding_type, {"absolute"});
  c.use_cache = v.get<bool>("use_cache", true);
  if (v.has("classifier_dropout")) {
    c.classifier_dropout = v.require<double>("classifier_dropout");
    check_field(*c.classifier_dropout >= 0.0 && *c.classifier_dropout < 1.0, source, "classifier_dropout",
                "null or a probability in [0, 1)", j.value("classifier_dropout", json()));
  }
  if (c.hidden_size % c.num_attention_heads != 0)
    fail(source, "field 'hidden_size': " + std::to_string(c.hidden_size) +
                     " is not a multiple of num_attention_heads (" + std::to_string(c.num_attention_heads) + ")");
  check_field(!c.common.is_decoder, source, "is_decoder", "false (BERT as a decoder is not supported)", true);
  check_field(!c.common.add_cross_attention, source, "add_cross_attention",
              "false (BERT cross-attention is not supported)", true);
  if (c.common.model_type.empty()) c.common.model_type = "bert";
  return c;
}

BertConfig BertConfig::from_file(const std::string& path) { return from_json(read_json_file(path), path); }

BertConfig BertConfig::named(const std::string& name) {
  json j = {{"model_type", "bert"}, {"architectures", {"BertModel"}}};
  if (name == "bert-base" || name == "bert-base-uncased") {
  } else if (name == "bert-large" || name == "bert-large-uncased") {
    j.update({{"hidden_size", 1024}, {"num_hidden_layers", 24}, {"num_attention_heads", 16}, {"intermediate_size", 4096}});
  } else if (name == "bert-base-cased") {
    j["vocab_size"] = 28996;
  } else if (name == "bert-base-multilingual-cased") {
    j["vocab_size"] = 119547;
  } else {
    fail("--config", "unknown BERT configuration '" + name +
                         "' (expected bert-base, bert-large, bert-base-cased, bert-base-multilingual-cased)");
  }
  return from_json(j, name);
}

json BertConfig::to_json() const {
  json j = common.raw.is_object() ? common.raw : json::object();
  common.write(j);
  j["model_type"] = "bert";
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["intermediate_size"] = intermediate_size;
  j["hidden_act"] = hidden_act;
  j["hidden_dropout_prob"] = hidden_dropout_prob;
  j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
  j["max_position_embeddings"] = max_position_embeddings;
  j["type_vocab_size"] = type_vocab_size;
  j["initializer_range"] = initializer_range;
  j["layer_norm_eps"] = layer_norm_eps;
  j["pad_token_id"] = pad_token_id;
  j["position_embedding_type"] = position_embedding_type;
  j["use_cache"] = use_cache;
  j["classifier_dropout"] = classifier_dropout ? json(*classifier_dropout) : json(nullptr);
  return j;
}

nn::EmbeddingsConfig BertConfig::embeddings_config() const {
  nn::EmbeddingsConfig e;
  e.vocab_size = vocab_size;
  e.embedding_size = hidden_size;
  e.max_position_embeddings = max_position_embeddings;
  e.positions = nn::PositionKind::Absolute;
  e.type_vocab_size = type_vocab_size;
  e.pad_token_id = pad_token_id;
  e.layer_norm_eps = layer_norm_eps;
  e.dropout = hidden_dropout_prob;
  return e;
}

nn::TransformerStackConfig BertConfig::encoder_config() const {
  nn::TransformerStackConfig s;
  s.num_layers = num_hidden_layers;
  auto& l = s.layer;
  l.attention.hidden_size = hidden_size;
  l.attention.num_heads = num_attention_heads;
  l.attention.dropout = attention_probs_dropout_prob;
  l.ffn.hidden_size = hidden_size;
  l.ffn.intermediate_size = intermediate_size;
  l.ffn.activation = nn::parse_activation(hidden_act, common.source);
  l.hidden_dropout = hidden_dropout_prob;
  l.layer_norm_eps = layer_norm_eps;
  l.pre_layer_norm = false;  // BERT is post-LN
  return s;
}

// ---------------------------------------------------------------- model
BertModel::BertModel(const BertConfig& config, bool add_pooling_layer) : config_(config) {
  embeddings = register_module("embeddings", nn::Embeddings(config.embeddings_config()));
  encoder = register_module("encoder", nn::TransformerStack(config.encoder_config()));
  if (add_pooling_layer) pooler = register_module("pooler", nn::Pooler(config.hidden_size));
}

const KeyRules& BertModel::key_rules() {
  static const KeyRules rules = KeyRules()
                                    .add("embeddings.layer_norm", "embeddings.LayerNorm")
                                    .add("encoder.layers", "encoder.layer")
                                    .add("self_attn.q_proj", "attention.self.query")
                                    .add("self_attn.k_proj", "attention.self.key")
                                    .add("self_attn.v_proj", "attention.self.value")
                                    .add("self_attn.out_proj", "attention.output.dense")
                                    .add("self_attn_layer_norm", "attention.output.LayerNorm")
                                    .add("ffn.fc1", "intermediate.dense")
                                    .add("ffn.fc2", "output.dense")
                                    .add("ffn_layer_norm", "output.LayerNorm");
  return rules;
}

void BertModel::init_weights() { nn::init_hf_weights(*this, config_.initializer_range); }

json BertModel::config_json() const {
  json j = config_.to_json();
  j["architectures"] = json::array({"BertModel"});
  return j;
}

static void check_ids(const at::Tensor& t, const std::string& name, int64_t limit, const std::string& limit_name) {
  if (!t.defined() || t.numel() == 0) return;
  int64_t lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
  if (lo < 0 || hi >= limit)
    fail("inputs", "'" + name + "' holds ids in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                       "] but " + limit_name + " is " + std::to_string(limit));
}

static void check_shape(const at::Tensor& t, const std::string& name, const at::Tensor& ids) {
  if (t.defined() && t.sizes() != ids.sizes())
    fail("inputs", "'" + name + "' has shape " + c10::str(t.sizes()) + " but input_ids has " + c10::str(ids.sizes()));
}

BackboneOutput BertModel::encode(const TensorMap& inputs, const ForwardOptions& options) {
  return encode(require_input(inputs, "input_ids"), optional_input(inputs, "attention_mask"),
                optional_input(inputs, "token_type_ids"), optional_input(inputs, "position_ids"), options);
}

BackboneOutput BertModel::encode(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                 const at::Tensor& token_type_ids, const at::Tensor& position_ids,
                                 const ForwardOptions& options) {
  if (input_ids.dim() != 2 || at::isFloatingType(input_ids.scalar_type()))
    fail("inputs", "'input_ids' must be an integer tensor [batch, seq_len] but has shape " + c10::str(input_ids.sizes()));
  if (input_ids.size(1) > config_.max_position_embeddings)
    fail("inputs", "sequence length " + std::to_string(input_ids.size(1)) + " exceeds max_position_embeddings (" +
                       std::to_string(config_.max_position_embeddings) + ")");
  check_shape(attention_mask, "attention_mask", input_ids);
  check_shape(token_type_ids, "token_type_ids", input_ids);
  check_ids(input_ids, "input_ids", config_.vocab_size, "vocab_size");
  check_ids(token_type_ids, "token_type_ids", config_.type_vocab_size, "type_vocab_size");
  check_ids(position_ids, "position_ids", config_.max_position_embeddings, "max_position_embeddings");

  at::Tensor x = embeddings->forward(input_ids.to(torch::kLong),
                                     token_type_ids.defined() ? token_type_ids.to(torch::kLong) : token_type_ids,
                                     position_ids.defined() ? position_ids.to(torch::kLong) : position_ids);
  at::Tensor mask = nn::additive_attention_mask(attention_mask, x.scalar_type());
  nn::StackOutput s = encoder->forward(x, mask, {}, {}, {}, options.output_hidden_states, options.output_attentions);
  BackboneOutput out;
  out.last_hidden_state = s.last_hidden_state;
  if (pooler) out.pooler_output = pooler->forward(s.last_hidden_state);
  out.hidden_states = std::move(s.hidden_states);
  out.attentions = std::move(s.attentions);
  return out;
}

// ---------------------------------------------------------------- task models
static KeyRules bert_head_rules() {
  return KeyRules()
      .add("mlm.dense", "cls.predictions.transform.dense")
      .add("mlm.layer_norm", "cls.predictions.transform.LayerNorm")
      .add("mlm.decoder", "cls.predictions.decoder")
      .add("mlm.bias", "cls.predictions.bias")
      .add("nsp", "cls.seq_relationship");
}

static heads::MaskedLMHeadConfig bert_mlm_config(const BertConfig& c) {
  heads::MaskedLMHeadConfig m;
  m.hidden_size = c.hidden_size;
  m.embedding_size = c.hidden_size;
  m.vocab_size = c.vocab_size;
  m.activation = nn::parse_activation(c.hidden_act, c.common.source);
  m.layer_norm_eps = c.layer_norm_eps;
  m.tie_word_embeddings = c.common.tie_word_embeddings;
  return m;
}

static const std::vector<std::string>& bert_architectures() {
  static const std::vector<std::string> names = {
      "BertModel", "BertForPreTraining", "BertForMaskedLM", "BertForSequenceClassification",
      "BertForTokenClassification", "BertForQuestionAnswering", "BertForMultipleChoice"};
  return names;
}

std::shared_ptr<PretrainedModel> build_bert(const BertConfig& c, const std::string& arch) {
  using namespace heads;
  check_one_of(c.common.source, "architectures", arch, bert_architectures());
  const bool pooler = !(arch == "BertForMaskedLM" || arch == "BertForTokenClassification" ||
                        arch == "BertForQuestionAnswering");
  auto backbone = std::make_shared<BertModel>(c, pooler);
  const int64_t h = c.hidden_size;
  std::shared_ptr<PretrainedModel> model;
  if (arch == "BertModel") {
    model = backbone;
  } else if (arch == "BertForPreTraining") {
    model = std::make_shared<ForPreTraining>(backbone, arch, bert_head_rules(), bert_mlm_config(c),
                                             std::make_shared<LinearHead>(h, 2, 0.0, HeadInput::Pooled));
  } else if (arch == "BertForMaskedLM") {
    model = std::make_shared<ForMaskedLM>(backbone, arch, bert_head_rules(), bert_mlm_config(c));
  } else if (arch == "BertForSequenceClassification") {
    model = std::make_shared<ForSequenceClassification>(
        backbone, arch, bert_head_rules(),
        std::make_shared<LinearHead>(h, c.common.num_labels, c.head_dropout(), HeadInput::Pooled), c.common.num_labels,
        c.common.problem_type);
  } else if (arch == "BertForTokenClassification") {
    model = std::make_shared<ForTokenClassification>(
        backbone, arch, bert_head_rules(),
        std::make_shared<LinearHead>(h, c.common.num_labels, c.head_dropout(), HeadInput::Sequence), c.common.num_labels);
  } else if (arch == "BertForQuestionAnswering") {
    model = std::make_shared<ForQuestionAnswering>(
        backbone, arch, bert_head_rules(), std::make_shared<LinearHead>(h, c.common.num_labels, 0.0, HeadInput::Sequence));
  } else {  // BertForMultipleChoice
    model = std::make_shared<ForMultipleChoice>(
        backbone, arch, bert_head_rules(), std::make_shared<LinearHead>(h, 1, c.head_dropout(), HeadInput::Pooled));
  }
  model->init_weights();
  return model;
}

void register_bert_models() {
  for (const auto& arch : bert_architectures())
    register_architecture({"bert", arch, arch == "BertModel", [arch](const json& config, const std::string& source) {
                             return build_bert(BertConfig::from_json(config, source), arch);
                           }});
  for (const char* name : {"bert-base", "bert-large", "bert-base-cased", "bert-base-multilingual-cased"})
    register_named_config({name, "bert", [name] { return BertConfig::named(name).to_json(); }});
}

}  // namespace nlp::models
