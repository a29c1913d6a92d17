#include "nlp/models/albert.h"

#include <torch/torch.h>

#include "nlp/heads/task_models.h"
#include "nlp/models/registry.h"
#include "nlp/nn/init.h"
#include "nlp/util/error.h"

namespace nlp::models {

// ---------------------------------------------------------------- config
AlbertConfig AlbertConfig::from_json(const json& j, const std::string& source) {
  const json defaults = {{"vocab_size", 30000},
                         {"hidden_size", 4096},
                         {"num_attention_heads", 64},
                         {"intermediate_size", 16384},
                         {"hidden_act", "gelu_new"},
                         {"hidden_dropout_prob", 0.0},
                         {"attention_probs_dropout_prob", 0.0},
                         {"bos_token_id", 2},
                         {"eos_token_id", 3}};
  json filled = j;
  if (filled.is_object())  // transformers' AlbertConfig defaults where BERT's differ
    for (const auto& [key, value] : defaults.items())
      if (!filled.contains(key)) filled[key] = value;
  AlbertConfig c;
  c.bert = BertConfig::from_json(filled, source);
  if (!j.contains("model_type")) c.bert.common.model_type = "albert";
  JsonView v{filled, source};
  auto value = [&](const char* f) { return filled.value(f, json()); };
  c.embedding_size = v.get<int64_t>("embedding_size", 128);
  check_field(c.embedding_size > 0, source, "embedding_size", "a positive integer", value("embedding_size"));
  c.num_hidden_groups = v.get<int64_t>("num_hidden_groups", 1);
  check_field(c.num_hidden_groups >= 1 && c.num_hidden_groups <= c.bert.num_hidden_layers, source, "num_hidden_groups",
              "an integer in [1, num_hidden_layers = " + std::to_string(c.bert.num_hidden_layers) + "]",
              value("num_hidden_groups"));
  c.inner_group_num = v.get<int64_t>("inner_group_num", 1);
  check_field(c.inner_group_num >= 1, source, "inner_group_num", "a positive integer", value("inner_group_num"));
  c.classifier_dropout_prob = v.get<double>("classifier_dropout_prob", 0.1);
  const std::string sharing = v.get<std::string>("cross_layer_sharing", "groups");
  check_one_of(source, "cross_layer_sharing", sharing, {"groups", "ffn", "attention"});
  c.sharing = sharing == "ffn" ? CrossLayerSharing::Ffn
              : sharing == "attention" ? CrossLayerSharing::Attention
                                       : CrossLayerSharing::Groups;
  if (c.sharing != CrossLayerSharing::Groups)
    check_field(c.inner_group_num == 1, source, "inner_group_num", "1 with cross_layer_sharing '" + sharing + "'",
                value("inner_group_num"));
  return c;
}

json AlbertConfig::to_json() const {
  json j = bert.to_json();
  j["model_type"] = "albert";
  j.erase("classifier_dropout");
  j.erase("use_cache");
  j["embedding_size"] = embedding_size;
  j["num_hidden_groups"] = num_hidden_groups;
  j["inner_group_num"] = inner_group_num;
  j["classifier_dropout_prob"] = classifier_dropout_prob;
  if (sharing == CrossLayerSharing::Ffn) j["cross_layer_sharing"] = "ffn";
  else if (sharing == CrossLayerSharing::Attention) j["cross_layer_sharing"] = "attention";
  else j.erase("cross_layer_sharing");
  return j;
}

// ---------------------------------------------------------------- idea 2: cross-layer sharing
std::vector<int64_t> albert_cross_layer_sharing(const AlbertConfig& c) {
  const int64_t layers = c.bert.num_hidden_layers, inner = c.inner_group_num;
  std::vector<int64_t> schedule;
  for (int64_t i = 0; i < layers; ++i) {
    // transformers: group_idx = int(i / (num_hidden_layers / num_hidden_groups)), in floating point.
    const int64_t group = c.sharing == CrossLayerSharing::Groups
                              ? static_cast<int64_t>(static_cast<double>(i) /
                                                     (static_cast<double>(layers) / static_cast<double>(c.num_hidden_groups)))
                              : i;
    for (int64_t j = 0; j < inner; ++j) schedule.push_back(group * inner + j);
  }
  return schedule;
}

// The Table 4 variants: one unique layer per depth, then one sublayer module shared by all.
static void share_sublayers(nn::TransformerStack& stack, CrossLayerSharing sharing) {
  if (sharing == CrossLayerSharing::Groups) return;
  nn::TransformerLayer first = stack->layer(0);
  for (int64_t d = 1; d < stack->config().num_layers; ++d) {
    nn::TransformerLayer l = stack->layer(d);
    if (sharing == CrossLayerSharing::Ffn) l->ffn = l->replace_module("ffn", first->ffn);
    else l->self_attn = l->replace_module("self_attn", first->self_attn);
  }
}

// ---------------------------------------------------------------- model
AlbertModel::AlbertModel(const AlbertConfig& config, bool add_pooling_layer) : config_(config) {
  nn::EmbeddingsConfig e = config.bert.embeddings_config();
  e.embedding_size = config.embedding_size;
  embeddings = register_module("embeddings", nn::Embeddings(e));
  embedding_hidden_mapping_in =
      register_module("embedding_hidden_mapping_in", torch::nn::Linear(config.embedding_size, config.bert.hidden_size));

  nn::TransformerStackConfig s = config.bert.encoder_config();
  s.layer_schedule = albert_cross_layer_sharing(config);
  s.num_layers = static_cast<int64_t>(s.layer_schedule.size());
  encoder = register_module("encoder", nn::TransformerStack(s));
  share_sublayers(encoder, config.sharing);

  if (add_pooling_layer) pooler = register_module("pooler", nn::Pooler(config.bert.hidden_size));
}

at::Tensor AlbertModel::embed(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                              const at::Tensor& position_ids) {
  return embedding_hidden_mapping_in->forward(embeddings->forward(input_ids, token_type_ids, position_ids));
}

static void check_ids(const at::Tensor& t, const std::string& name, int64_t limit, const std::string& limit_name) {
  if (!t.defined() || t.numel() == 0) return;
  int64_t lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
  if (lo < 0 || hi >= limit)
    fail("inputs", "'" + name + "' holds ids in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] but " +
                       limit_name + " is " + std::to_string(limit));
}

BackboneOutput AlbertModel::encode(const TensorMap& inputs, const ForwardOptions& options) {
  const at::Tensor& ids = require_input(inputs, "input_ids");
  at::Tensor mask = optional_input(inputs, "attention_mask"), types = optional_input(inputs, "token_type_ids"),
             positions = optional_input(inputs, "position_ids");
  const BertConfig& b = config_.bert;
  if (ids.dim() != 2 || at::isFloatingType(ids.scalar_type()))
    fail("inputs", "'input_ids' must be an integer tensor [batch, seq_len] but has shape " + c10::str(ids.sizes()));
  if (ids.size(1) > b.max_position_embeddings)
    fail("inputs", "sequence length " + std::to_string(ids.size(1)) + " exceeds max_position_embeddings (" +
                       std::to_string(b.max_position_embeddings) + ")");
  for (const auto& [t, name] : {std::pair<const at::Tensor*, const char*>{&mask, "attention_mask"},
                                std::pair<const at::Tensor*, const char*>{&types, "token_type_ids"}})
    if (t->defined() && t->sizes() != ids.sizes())
      fail("inputs", std::string("'") + name + "' has shape " + c10::str(t->sizes()) + " but input_ids has " +
                         c10::str(ids.sizes()));
  check_ids(ids, "input_ids", b.vocab_size, "vocab_size");
  check_ids(types, "token_type_ids", b.type_vocab_size, "type_vocab_size");
  check_ids(positions, "position_ids", b.max_position_embeddings, "max_position_embeddings");
  auto as_long = [](const at::Tensor& t) { return t.defined() ? t.to(torch::kLong) : t; };

  at::Tensor x = embed(ids.to(torch::kLong), as_long(types), as_long(positions));
  nn::StackOutput s = encoder->forward(x, nn::additive_attention_mask(mask, x.scalar_type()), {}, {}, {},
                                       options.output_hidden_states, options.output_attentions);
  BackboneOutput out;
  out.last_hidden_state = s.last_hidden_state;
  if (pooler) out.pooler_output = pooler->forward(s.last_hidden_state);
  // One hidden state per outer layer (after its inner_group_num applications), as transformers.
  for (size_t i = 0; i < s.hidden_states.size(); i += static_cast<size_t>(config_.inner_group_num))
    out.hidden_states.push_back(s.hidden_states[i]);
  out.attentions = std::move(s.attentions);
  return out;
}

std::string AlbertModel::hf_name(const std::string& our_name) const {
  static const KeyRules outer = KeyRules()
                                    .add("embeddings.layer_norm", "embeddings.LayerNorm")
                                    .add("embedding_hidden_mapping_in", "encoder.embedding_hidden_mapping_in")
                                    .add("pooler.dense", "pooler");
  static const KeyRules layer = KeyRules()
                                    .add("self_attn.q_proj", "attention.query")
                                    .add("self_attn.k_proj", "attention.key")
                                    .add("self_attn.v_proj", "attention.value")
                                    .add("self_attn.out_proj", "attention.dense")
                                    .add("self_attn_layer_norm", "attention.LayerNorm")
                                    .add("ffn.fc1", "ffn")
                                    .add("ffn.fc2", "ffn_output")
                                    .add("ffn_layer_norm", "full_layer_layer_norm");
  const std::string name = outer.to_hf(our_name);
  const std::string marker = "encoder.layers.";
  size_t p = name.find(marker);
  if (p == std::string::npos || (p > 0 && name[p - 1] != '.')) return name;
  const size_t index_begin = p + marker.size(), index_end = name.find('.', index_begin);
  if (index_end == std::string::npos) return name;
  const int64_t unique = std::stoll(name.substr(index_begin, index_end - index_begin));
  const int64_t inner = config_.sharing == CrossLayerSharing::Groups ? config_.inner_group_num : 1;
  return name.substr(0, p) + "encoder.albert_layer_groups." + std::to_string(unique / inner) + ".albert_layers." +
         std::to_string(unique % inner) + "." + layer.to_hf(name.substr(index_end + 1));
}

void AlbertModel::init_weights() { nn::init_hf_weights(*this, config_.bert.initializer_range); }

json AlbertModel::config_json() const {
  json j = config_.to_json();
  j["architectures"] = json::array({"AlbertModel"});
  return j;
}

// ---------------------------------------------------------------- task models
static KeyRules albert_head_rules() {
  return KeyRules()
      .add("mlm.dense", "predictions.dense")
      .add("mlm.layer_norm", "predictions.LayerNorm")
      .add("mlm.decoder", "predictions.decoder")
      .add("mlm.bias", "predictions.bias")
      .add("nsp", "sop_classifier.classifier");
}

static const std::vector<std::string>& albert_architectures() {
  static const std::vector<std::string> names = {
      "AlbertModel", "AlbertForPreTraining", "AlbertForMaskedLM", "AlbertForSequenceClassification",
      "AlbertForTokenClassification", "AlbertForQuestionAnswering", "AlbertForMultipleChoice"};
  return names;
}

std::shared_ptr<PretrainedModel> build_albert(const AlbertConfig& c, const std::string& arch) {
  using namespace heads;
  check_one_of(c.bert.common.source, "architectures", arch, albert_architectures());
  const bool pooler = !(arch == "AlbertForMaskedLM" || arch == "AlbertForTokenClassification" ||
                        arch == "AlbertForQuestionAnswering");
  auto backbone = std::make_shared<AlbertModel>(c, pooler);
  const int64_t h = c.bert.hidden_size, labels = c.bert.common.num_labels;
  const double p = c.classifier_dropout_prob;
  MaskedLMHeadConfig mlm;  // AlbertMLMHead: dense(H -> E) -> hidden_act -> LayerNorm(E) -> decoder(E -> V)
  mlm.hidden_size = h;
  mlm.embedding_size = c.embedding_size;
  mlm.vocab_size = c.bert.vocab_size;
  mlm.activation = nn::parse_activation(c.bert.hidden_act, c.bert.common.source);
  mlm.layer_norm_eps = c.bert.layer_norm_eps;
  mlm.tie_word_embeddings = c.bert.common.tie_word_embeddings;
  std::shared_ptr<PretrainedModel> model;
  if (arch == "AlbertModel") {
    model = backbone;
  } else if (arch == "AlbertForPreTraining") {
    model = std::make_shared<ForPreTraining>(backbone, arch, albert_head_rules(), mlm,
                                             std::make_shared<LinearHead>(h, labels, p, HeadInput::Pooled), "sop_logits",
                                             "sentence_order_label");
  } else if (arch == "AlbertForMaskedLM") {
    model = std::make_shared<ForMaskedLM>(backbone, arch, albert_head_rules(), mlm);
  } else if (arch == "AlbertForSequenceClassification") {
    model = std::make_shared<ForSequenceClassification>(
        backbone, arch, albert_head_rules(), std::make_shared<LinearHead>(h, labels, p, HeadInput::Pooled), labels,
        c.bert.common.problem_type);
  } else if (arch == "AlbertForTokenClassification") {
    model = std::make_shared<ForTokenClassification>(
        backbone, arch, albert_head_rules(), std::make_shared<LinearHead>(h, labels, p, HeadInput::Sequence), labels);
  } else if (arch == "AlbertForQuestionAnswering") {
    model = std::make_shared<ForQuestionAnswering>(backbone, arch, albert_head_rules(),
                                                   std::make_shared<LinearHead>(h, labels, 0.0, HeadInput::Sequence));
  } else {  // AlbertForMultipleChoice
    model = std::make_shared<ForMultipleChoice>(backbone, arch, albert_head_rules(),
                                                std::make_shared<LinearHead>(h, 1, p, HeadInput::Pooled));
  }
  model->init_weights();
  return model;
}

void register_albert_models() {
  for (const auto& arch : albert_architectures())
    register_architecture({"albert", arch, arch == "AlbertModel", [arch](const json& config, const std::string& source) {
                             return build_albert(AlbertConfig::from_json(config, source), arch);
                           }});
}

}  // namespace nlp::models
