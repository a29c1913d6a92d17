#include "nlp/models/gpt.h"

#include <cmath>

#include <torch/torch.h>

#include "nlp/heads/heads.h"
#include "nlp/models/registry.h"
#include "nlp/nn/init.h"
#include "nlp/util/error.h"

namespace nlp::models {

// ---------------------------------------------------------------- config
GPTConfig GPTConfig::from_json(const json& j, const std::string& source) {
  JsonView v{j, source};
  GPTConfig c;
  c.common = CommonConfig::parse(v);
  c.model_type = v.get<std::string>("model_type", "gpt2");
  check_one_of(source, "model_type", c.model_type, {"openai-gpt", "gpt2"});
  const bool gpt2 = c.is_gpt2();
  auto positive = [&](const char* field, int64_t& out, int64_t def) {
    out = v.get<int64_t>(field, def);
    check_field(out > 0, source, field, "a positive integer", j.value(field, json()));
  };
  auto probability = [&](const char* field, double& out, double def) {
    out = v.get<double>(field, def);
    check_field(out >= 0.0 && out < 1.0, source, field, "a probability in [0, 1)", j.value(field, json()));
  };
  positive("vocab_size", c.vocab_size, gpt2 ? 50257 : 40478);
  positive("n_positions", c.n_positions, gpt2 ? 1024 : 512);
  positive("n_embd", c.n_embd, 768);
  positive("n_layer", c.n_layer, 12);
  positive("n_head", c.n_head, 12);
  if (gpt2 && v.has("n_inner")) {
    c.n_inner = v.require<int64_t>("n_inner");
    check_field(*c.n_inner > 0, source, "n_inner", "null or a positive integer", j["n_inner"]);
  }
  const char* act_field = gpt2 ? "activation_function" : "afn";
  c.activation_function = v.get<std::string>(act_field, gpt2 ? "gelu_new" : "gelu");
  nn::parse_activation(c.activation_function, source, act_field);
  if (!gpt2) check_one_of(source, "afn", c.activation_function, {"relu", "silu", "gelu", "swish"});
  probability("resid_pdrop", c.resid_pdrop, 0.1);
  probability("embd_pdrop", c.embd_pdrop, 0.1);
  probability("attn_pdrop", c.attn_pdrop, 0.1);
  c.layer_norm_epsilon = v.get<double>("layer_norm_epsilon", 1e-5);
  check_field(c.layer_norm_epsilon > 0, source, "layer_norm_epsilon", "a positive number", j.value("layer_norm_epsilon", json()));
  c.initializer_range = v.get<double>("initializer_range", 0.02);
  c.summary_type = v.get<std::string>("summary_type", "cls_index");
  check_one_of(source, "summary_type", c.summary_type, {"last", "first", "mean", "cls_index"});
  c.summary_use_proj = v.get<bool>("summary_use_proj", true);
  c.summary_activation = v.get<std::string>("summary_activation", "");
  if (!c.summary_activation.empty()) nn::parse_activation(c.summary_activation, source, "summary_activation");
  c.summary_proj_to_labels = v.get<bool>("summary_proj_to_labels", true);
  probability("summary_first_dropout", c.summary_first_dropout, 0.1);
  probability("summary_last_dropout", c.summary_last_dropout, 0.0);
  c.use_cache = v.get<bool>("use_cache", true);
  c.scale_attn_weights = v.get<bool>("scale_attn_weights", true);
  c.scale_attn_by_inverse_layer_idx = v.get<bool>("scale_attn_by_inverse_layer_idx", false);
  c.reorder_and_upcast_attn = v.get<bool>("reorder_and_upcast_attn", false);
  check_field(c.scale_attn_weights, source, "scale_attn_weights", "true (unscaled attention is not supported)", false);
  check_field(!c.scale_attn_by_inverse_layer_idx, source, "scale_attn_by_inverse_layer_idx",
              "false (layer-index scaling is not supported)", true);
  check_field(c.common.tie_word_embeddings, source, "tie_word_embeddings", "true (untied LM heads are not supported)", false);
  check_field(!c.common.add_cross_attention, source, "add_cross_attention",
              "false (GPT-2 cross-attention is not supported)", true);
  if (c.n_embd % c.n_head != 0)
    fail(source, "field 'n_embd': " + std::to_string(c.n_embd) + " is not a multiple of n_head (" +
                     std::to_string(c.n_head) + ")");
  if (gpt2) {
    if (!c.common.bos_token_id) c.common.bos_token_id = 50256;
    if (!c.common.eos_token_id) c.common.eos_token_id = 50256;
  }
  return c;
}

GPTConfig GPTConfig::named(const std::string& name) {
  json j;
  if (name == "openai-gpt") {
    j = {{"model_type", "openai-gpt"}, {"architectures", {"OpenAIGPTLMHeadModel"}}};
  } else {
    j = {{"model_type", "gpt2"}, {"architectures", {"GPT2LMHeadModel"}}};
    if (name == "gpt2") {
    } else if (name == "gpt2-medium") {
      j.update({{"n_embd", 1024}, {"n_layer", 24}, {"n_head", 16}});
    } else if (name == "gpt2-large") {
      j.update({{"n_embd", 1280}, {"n_layer", 36}, {"n_head", 20}});
    } else if (name == "gpt2-xl") {
      j.update({{"n_embd", 1600}, {"n_layer", 48}, {"n_head", 25}});
    } else {
      fail("--config", "unknown GPT configuration '" + name + "' (expected openai-gpt, gpt2, gpt2-medium, gpt2-large, gpt2-xl)");
    }
  }
  return from_json(j, name);
}

json GPTConfig::to_json() const {
  json j = common.raw.is_object() ? common.raw : json::object();
  common.write(j);
  j["model_type"] = model_type;
  j["vocab_size"] = vocab_size;
  j["n_positions"] = n_positions;
  j["n_embd"] = n_embd;
  j["n_layer"] = n_layer;
  j["n_head"] = n_head;
  j[is_gpt2() ? "activation_function" : "afn"] = activation_function;
  if (is_gpt2()) j["n_inner"] = n_inner ? json(*n_inner) : json(nullptr);
  j["resid_pdrop"] = resid_pdrop;
  j["embd_pdrop"] = embd_pdrop;
  j["attn_pdrop"] = attn_pdrop;
  j["layer_norm_epsilon"] = layer_norm_epsilon;
  j["initializer_range"] = initializer_range;
  j["summary_type"] = summary_type;
  j["summary_use_proj"] = summary_use_proj;
  j["summary_activation"] = summary_activation.empty() ? json(nullptr) : json(summary_activation);
  j["summary_proj_to_labels"] = summary_proj_to_labels;
  j["summary_first_dropout"] = summary_first_dropout;
  if (is_gpt2()) {
    j["summary_last_dropout"] = summary_last_dropout;
    j["use_cache"] = use_cache;
    j["scale_attn_weights"] = scale_attn_weights;
    j["scale_attn_by_inverse_layer_idx"] = scale_attn_by_inverse_layer_idx;
    j["reorder_and_upcast_attn"] = reorder_and_upcast_attn;
  }
  return j;
}

nn::EmbeddingsConfig GPTConfig::embeddings_config() const {
  nn::EmbeddingsConfig e;
  e.vocab_size = vocab_size;
  e.embedding_size = n_embd;
  e.max_position_embeddings = n_positions;
  e.positions = nn::PositionKind::Absolute;  // learned Wp
  e.type_vocab_size = 0;
  e.token_types_use_word_embeddings = true;   // token types go through We
  e.layer_norm = false;
  e.dropout = embd_pdrop;
  return e;
}

nn::TransformerStackConfig GPTConfig::decoder_config() const {
  nn::TransformerStackConfig s;
  s.num_layers = n_layer;
  auto& l = s.layer;
  l.attention.hidden_size = n_embd;
  l.attention.num_heads = n_head;
  l.attention.dropout = attn_pdrop;
  l.attention.causal = true;  // masked self-attention
  l.ffn.hidden_size = n_embd;
  l.ffn.intermediate_size = is_gpt2() ? inner_size() : 4 * n_embd;
  // OpenAI GPT's "gelu" is the tanh approximation (transformers' modeling_openai ACT_FNS maps
  // "gelu" to gelu_new), as in the original release.
  l.ffn.activation = !is_gpt2() && activation_function == "gelu"
                         ? nn::Activation::GeluNew
                         : nn::parse_activation(activation_function, common.source, is_gpt2() ? "activation_function" : "afn");
  l.hidden_dropout = resid_pdrop;
  l.layer_norm_eps = layer_norm_epsilon;
  l.pre_layer_norm = is_gpt2();     // GPT-2 §2.3: LN moved to the sub-block inputs ...
  s.final_layer_norm = is_gpt2();   // ... plus a final LN (ln_f)
  return s;
}

// ---------------------------------------------------------------- model
GPTModel::GPTModel(const GPTConfig& config) : config_(config) {
  embeddings = register_module("embeddings", nn::Embeddings(config.embeddings_config()));
  decoder = register_module("decoder", nn::TransformerStack(config.decoder_config()));
}

const KeyRules& GPTModel::key_rules() const {
  // q/k/v keep our names: adapt_checkpoint() splits the fused c_attn into them.
  static const KeyRules common = KeyRules()
                                     .add("decoder.layers", "h")
                                     .add("decoder.final_layer_norm", "ln_f")
                                     .add("self_attn.out_proj", "attn.c_proj")
                                     .add("self_attn_layer_norm", "ln_1")
                                     .add("ffn.fc1", "mlp.c_fc")
                                     .add("ffn.fc2", "mlp.c_proj")
                                     .add("ffn_layer_norm", "ln_2");
  static const KeyRules gpt2 = KeyRules()
                                   .add("embeddings.word_embeddings", "wte")
                                   .add("embeddings.position_embeddings", "wpe")
                                   .append(common);
  static const KeyRules gpt1 = KeyRules()
                                   .add("embeddings.word_embeddings", "tokens_embed")
                                   .add("embeddings.position_embeddings", "positions_embed")
                                   .append(common);
  return config_.is_gpt2() ? gpt2 : gpt1;
}

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool GPTModel::ignored_checkpoint_key(const std::string& k) const {
  // Causal-mask buffers older GPT-2 checkpoints carry.
  return ends_with(k, ".attn.bias") || ends_with(k, ".attn.masked_bias") || PretrainedModel::ignored_checkpoint_key(k);
}

// Conv1D stores y = x W + b with W [in, out]; our Linear holds W^T [out, in].
void GPTModel::adapt_checkpoint(TensorMap& state) const {
  const int64_t h = config_.n_embd;
  TensorMap out;
  for (auto& [key, t] : state) {
    if (ends_with(key, "attn.c_attn.weight") || ends_with(key, "attn.c_attn.bias")) {
      const bool weight = ends_with(key, ".weight");
      const std::string base = key.substr(0, key.size() - std::string(weight ? "attn.c_attn.weight" : "attn.c_attn.bias").size());
      if (t.size(-1) != 3 * h)
        fail("checkpoint", "tensor '" + key + "': expected last dimension 3 * n_embd = " + std::to_string(3 * h) +
                               " but got shape " + c10::str(t.sizes()));
      const char* names[] = {"q_proj", "k_proj", "v_proj"};
      for (int i = 0; i < 3; ++i) {
        at::Tensor part = t.narrow(-1, i * h, h);
        out[base + "self_attn." + names[i] + (weight ? ".weight" : ".bias")] = weight ? part.t().contiguous() : part.contiguous();
      }
    } else if ((ends_with(key, "attn.c_proj.weight") || ends_with(key, "mlp.c_fc.weight") || ends_with(key, "mlp.c_proj.weight")) &&
               t.dim() == 2) {
      out[key] = t.t().contiguous();
    } else {
      out[key] = t;
    }
  }
  state = std::move(out);
}

void GPTModel::export_checkpoint(TensorMap& state) const {
  TensorMap out;
  for (auto& [key, t] : state) {
    for (const char* kind : {".weight", ".bias"}) {
      const std::string q = std::string("self_attn.q_proj") + kind;
      if (!ends_with(key, q)) continue;
      const std::string base = key.substr(0, key.size() - q.size());
      std::vector<at::Tensor> parts;
      for (const char* n : {"q_proj", "k_proj", "v_proj"}) {
        at::Tensor p = state.at(base + "self_attn." + n + kind);
        parts.push_back(std::string(kind) == ".weight" ? p.t() : p);
      }
      out[base + "attn.c_attn" + kind] = torch::cat(parts, -1).contiguous();
    }
    if (key.find("self_attn.") != std::string::npos && !ends_with(key, "attn.c_proj.weight")) continue;
    if ((ends_with(key, "attn.c_proj.weight") || ends_with(key, "mlp.c_fc.weight") || ends_with(key, "mlp.c_proj.weight")) && t.dim() == 2)
      out[key] = t.t().contiguous();
    else
      out[key] = t;
  }
  state = std::move(out);
}

void GPTModel::init_weights() {
  nn::init_hf_weights(*this, config_.initializer_range);
  if (!config_.is_gpt2()) return;
  // GPT-2 §2.3: residual projections scaled by 1/sqrt(N) at init, N = 2 * n_layer residual layers.
  torch::NoGradGuard no_grad;
  const double std = config_.initializer_range / std::sqrt(2.0 * config_.n_layer);
  for (auto& p : named_parameters(true))
    if (ends_with(p.key(), "self_attn.out_proj.weight") || ends_with(p.key(), "ffn.fc2.weight")) p.value().normal_(0.0, std);
}

json GPTModel::config_json() const {
  json j = config_.to_json();
  j["architectures"] = json::array({architecture()});
  return j;
}

static void check_ids(const at::Tensor& t, const std::string& name, int64_t limit, const std::string& limit_name) {
  if (!t.defined() || t.numel() == 0) return;
  int64_t lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
  if (lo < 0 || hi >= limit)
    fail("inputs", "'" + name + "' holds ids in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] but " +
                       limit_name + " is " + std::to_string(limit));
}

GPTOutput GPTModel::run(const at::Tensor& input_ids, const at::Tensor& attention_mask, const at::Tensor& token_type_ids,
                        const at::Tensor& position_ids, const std::vector<nn::LayerCache>& past,
                        const ForwardOptions& options, bool use_cache) {
  if (input_ids.dim() != 2 || at::isFloatingType(input_ids.scalar_type()))
    fail("inputs", "'input_ids' must be an integer tensor [batch, seq_len] but has shape " + c10::str(input_ids.sizes()));
  const int64_t past_len = past.empty() || !past[0].self_attn.defined() ? 0 : past[0].self_attn.key.size(2);
  const int64_t seq = input_ids.size(1);
  if (past_len + seq > config_.n_positions)
    fail("inputs", "sequence length " + std::to_string(past_len + seq) + " exceeds n_positions (" +
                       std::to_string(config_.n_positions) + ")");
  if (attention_mask.defined() && (attention_mask.dim() != 2 || attention_mask.size(0) != input_ids.size(0) ||
                                   attention_mask.size(1) != past_len + seq))
    fail("inputs", "'attention_mask' has shape " + c10::str(attention_mask.sizes()) + " but expected [" +
                       std::to_string(input_ids.size(0)) + ", " + std::to_string(past_len + seq) + "] (past + new tokens)");
  if (token_type_ids.defined() && token_type_ids.sizes() != input_ids.sizes())
    fail("inputs", "'token_type_ids' has shape " + c10::str(token_type_ids.sizes()) + " but input_ids has " +
                       c10::str(input_ids.sizes()));
  check_ids(input_ids, "input_ids", config_.vocab_size, "vocab_size");
  check_ids(token_type_ids, "token_type_ids", config_.vocab_size, "vocab_size");
  check_ids(position_ids, "position_ids", config_.n_positions, "n_positions");
  auto as_long = [](const at::Tensor& t) { return t.defined() ? t.to(torch::kLong) : t; };

  at::Tensor x = embeddings->forward(input_ids.to(torch::kLong), as_long(token_type_ids), as_long(position_ids), past_len);
  at::Tensor mask = nn::additive_attention_mask(attention_mask, x.scalar_type());
  nn::StackOutput s = decoder->forward(x, mask, {}, {}, past, options.output_hidden_states, options.output_attentions, use_cache);
  GPTOutput out;
  out.last_hidden_state = s.last_hidden_state;
  out.hidden_states = std::move(s.hidden_states);
  out.attentions = std::move(s.attentions);
  out.past_key_values = std::move(s.present);
  return out;
}

static std::vector<nn::LayerCache> read_past(const TensorMap& inputs, int64_t num_layers) {
  std::vector<nn::LayerCache> past;
  for (int64_t i = 0; i < num_layers; ++i) {
    const std::string p = "past_key_values." + std::to_string(i);
    at::Tensor k = optional_input(inputs, p + ".key"), v = optional_input(inputs, p + ".value");
    if (!k.defined() && !v.defined()) break;
    if (!k.defined() || !v.defined()) fail("inputs", "'" + p + "' needs both .key and .value");
    past.push_back({{k, v}, {}});
  }
  if (!past.empty() && static_cast<int64_t>(past.size()) != num_layers)
    fail("inputs", "past_key_values has " + std::to_string(past.size()) + " layers but the model has " + std::to_string(num_layers));
  return past;
}

static void write_past(TensorMap& out, const std::vector<nn::LayerCache>& past) {
  for (size_t i = 0; i < past.size(); ++i) {
    out["past_key_values." + std::to_string(i) + ".key"] = past[i].self_attn.key;
    out["past_key_values." + std::to_string(i) + ".value"] = past[i].self_attn.value;
  }
}

static void write_states(TensorMap& out, const GPTOutput& r) {
  out["last_hidden_state"] = r.last_hidden_state;
  for (size_t i = 0; i < r.hidden_states.size(); ++i) out["hidden_states." + std::to_string(i)] = r.hidden_states[i];
  for (size_t i = 0; i < r.attentions.size(); ++i) out["attentions." + std::to_string(i)] = r.attentions[i];
}

TensorMap GPTModel::forward(const TensorMap& inputs, const ForwardOptions& options) {
  const bool cache = config_.is_gpt2() && config_.use_cache;
  GPTOutput r = run(require_input(inputs, "input_ids"), optional_input(inputs, "attention_mask"),
                    optional_input(inputs, "token_type_ids"), optional_input(inputs, "position_ids"),
                    read_past(inputs, config_.n_layer), options, cache);
  TensorMap out;
  write_states(out, r);
  if (cache) write_past(out, r.past_key_values);
  return out;
}

// ---------------------------------------------------------------- sequence summary
SequenceSummaryImpl::SequenceSummaryImpl(const GPTConfig& c, int64_t num_outputs)
    : type_(c.summary_type), activation_(c.summary_activation) {
  if (c.summary_use_proj) summary = register_module("summary", torch::nn::Linear(c.n_embd, num_outputs));
  first_dropout = register_module("first_dropout", torch::nn::Dropout(c.summary_first_dropout));
  last_dropout = register_module("last_dropout", torch::nn::Dropout(c.summary_last_dropout));
}

at::Tensor SequenceSummaryImpl::forward(const at::Tensor& hidden, const at::Tensor& cls_index) {
  at::Tensor x;
  if (type_ == "last") {
    x = hidden.select(-2, -1);
  } else if (type_ == "first") {
    x = hidden.select(-2, 0);
  } else if (type_ == "mean") {
    x = hidden.mean(-2);
  } else {  // cls_index: the token at cls_index (default: the last one)
    at::Tensor index;
    if (cls_index.defined()) {
      std::vector<int64_t> batch_shape(hidden.sizes().begin(), hidden.sizes().end() - 2);
      if (cls_index.sizes() != at::IntArrayRef(batch_shape))
        fail("inputs", "'mc_token_ids' has shape " + c10::str(cls_index.sizes()) + " but expected " + c10::str(batch_shape));
      check_ids(cls_index, "mc_token_ids", hidden.size(-2), "the sequence length");
      index = cls_index.to(torch::kLong).unsqueeze(-1).unsqueeze(-1);
      std::vector<int64_t> shape(index.dim(), -1);
      shape.back() = hidden.size(-1);
      index = index.expand(shape);
    } else {
      index = torch::full_like(hidden.narrow(-2, 0, 1), hidden.size(-2) - 1, torch::kLong);
    }
    x = hidden.gather(-2, index).squeeze(-2);
  }
  x = first_dropout->forward(x);
  if (summary) x = summary->forward(x);
  if (!activation_.empty()) x = nn::activate(nn::parse_activation(activation_, "config.json", "summary_activation"), x);
  return last_dropout->forward(x);
}

// ---------------------------------------------------------------- LM / double heads
GPTLMHeadModel::GPTLMHeadModel(const GPTConfig& config, bool double_heads) : double_heads_(double_heads) {
  transformer = register_module("transformer", std::make_shared<GPTModel>(config));
  if (double_heads) {
    // transformers sets num_labels = 1 for the double-heads models: one score per choice.
    const int64_t outputs = config.summary_proj_to_labels ? 1 : config.n_embd;
    multiple_choice_head = register_module("multiple_choice_head", SequenceSummary(config, outputs));
  }
}

std::string GPTLMHeadModel::architecture() const {
  const bool g2 = transformer->config().is_gpt2();
  return std::string(g2 ? "GPT2" : "OpenAIGPT") + (double_heads_ ? "DoubleHeadsModel" : "LMHeadModel");
}

std::string GPTLMHeadModel::hf_name(const std::string& our) const {
  const std::string p = "transformer.";
  if (our.rfind(p, 0) == 0) return p + transformer->hf_name(our.substr(p.size()));
  return our;
}

void GPTLMHeadModel::init_weights() {
  transformer->init_weights();
  if (multiple_choice_head) nn::init_hf_weights(*multiple_choice_head, transformer->config().initializer_range);
}

json GPTLMHeadModel::config_json() const {
  json j = transformer->config().to_json();
  j["architectures"] = json::array({architecture()});
  return j;
}

at::Tensor GPTLMHeadModel::lm_logits(const at::Tensor& hidden) const {
  return torch::nn::functional::linear(hidden, transformer->input_embeddings());  // tied to We
}

// Next-token cross-entropy: logits[..., :-1, :] predict labels[..., 1:].
static at::Tensor shifted_lm_loss(const at::Tensor& logits, const at::Tensor& labels) {
  if (labels.sizes() != logits.sizes().slice(0, logits.dim() - 1))
    fail("inputs", "'labels' has shape " + c10::str(labels.sizes()) + " but the logits are " + c10::str(logits.sizes()));
  const int64_t seq = logits.size(-2), vocab = logits.size(-1);
  at::Tensor l = logits.narrow(-2, 0, seq - 1).reshape({-1, vocab});
  at::Tensor y = labels.narrow(-1, 1, seq - 1).reshape({-1}).to(torch::kLong);
  return heads::cross_entropy(l, y);
}

TensorMap GPTLMHeadModel::forward(const TensorMap& inputs, const ForwardOptions& options) {
  const GPTConfig& c = transformer->config();
  at::Tensor ids = require_input(inputs, "input_ids");
  const auto shape = ids.sizes().vec();  // [batch, (choices,) seq]
  if (double_heads_ && ids.dim() != 3)
    fail("inputs", "'input_ids' must be [batch, num_choices, seq_len] but has shape " + c10::str(ids.sizes()));
  auto flat = [&](const at::Tensor& t) { return t.defined() && t.dim() > 2 ? t.reshape({-1, t.size(-1)}) : t; };
  const bool cache = c.is_gpt2() && c.use_cache;
  GPTOutput r = transformer->run(flat(ids), flat(optional_input(inputs, "attention_mask")),
                                 flat(optional_input(inputs, "token_type_ids")), flat(optional_input(inputs, "position_ids")),
                                 read_past(inputs, c.n_layer), options, cache);
  TensorMap out;
  write_states(out, r);
  if (cache) write_past(out, r.past_key_values);
  std::vector<int64_t> hidden_shape = shape;
  hidden_shape.push_back(c.n_embd);
  at::Tensor hidden = r.last_hidden_state.reshape(hidden_shape);
  if (!r.hidden_states.empty())  // transformers reshapes only the last entry back
    out["hidden_states." + std::to_string(r.hidden_states.size() - 1)] = hidden;

  at::Tensor logits = lm_logits(hidden);
  out["logits"] = logits;
  at::Tensor labels = optional_input(inputs, "labels");
  if (labels.defined()) out["loss"] = shifted_lm_loss(logits, labels);
  if (double_heads_) {
    at::Tensor mc = multiple_choice_head->forward(hidden, optional_input(inputs, "mc_token_ids")).squeeze(-1);
    out["mc_logits"] = mc;
    at::Tensor mc_labels = optional_input(inputs, "mc_labels");
    if (mc_labels.defined()) out["mc_loss"] = heads::cross_entropy(mc.reshape({-1, mc.size(-1)}), mc_labels.reshape({-1}).to(torch::kLong));
  }
  return out;
}

at::Tensor GPTLMHeadModel::next_token_logits(DecodingState& state, const at::Tensor& ids, const at::Tensor& attention_mask,
                                             bool use_cache) {
  at::Tensor mask = attention_mask.defined() ? attention_mask : torch::ones_like(ids);
  at::Tensor positions = position_ids_from_mask(mask);
  const int64_t past = state.cache.empty() ? 0 : state.cache[0].self_attn.key.size(2);
  at::Tensor in = ids;
  if (use_cache && past > 0) {
    in = ids.slice(1, past);
    positions = positions.slice(1, past);
  }
  GPTOutput r = transformer->run(in, mask, {}, positions, use_cache ? state.cache : std::vector<nn::LayerCache>{}, {}, use_cache);
  if (use_cache) state.cache = std::move(r.past_key_values);
  return lm_logits(r.last_hidden_state.select(1, -1));
}

GenerationConfig GPTLMHeadModel::default_generation_config() const {
  GenerationConfig g;
  const auto& c = transformer->config().common;
  if (c.eos_token_id) g.eos_token_id = {*c.eos_token_id};
  g.bos_token_id = c.bos_token_id;
  g.pad_token_id = c.pad_token_id;
  return g;
}

// ---------------------------------------------------------------- registry
static bool is_base(const std::string& arch) { return arch == "GPT2Model" || arch == "OpenAIGPTModel"; }

std::shared_ptr<PretrainedModel> build_gpt(const GPTConfig& c, const std::string& arch) {
  std::shared_ptr<PretrainedModel> m;
  const std::string fam = c.is_gpt2() ? "GPT2" : "OpenAIGPT";
  if (arch == fam + "Model") m = std::make_shared<GPTModel>(c);
  else if (arch == fam + "LMHeadModel") m = std::make_shared<GPTLMHeadModel>(c, false);
  else if (arch == fam + "DoubleHeadsModel") m = std::make_shared<GPTLMHeadModel>(c, true);
  else check_one_of(c.common.source, "architectures", arch, {fam + "Model", fam + "LMHeadModel", fam + "DoubleHeadsModel"});
  m->init_weights();
  return m;
}

void register_gpt_models() {
  for (const std::string type : {"openai-gpt", "gpt2"}) {
    const std::string fam = type == "gpt2" ? "GPT2" : "OpenAIGPT";
    for (const std::string arch : {fam + "Model", fam + "LMHeadModel", fam + "DoubleHeadsModel"})
      register_architecture({type, arch, is_base(arch), [arch](const json& config, const std::string& source) {
                               return build_gpt(GPTConfig::from_json(config, source), arch);
                             }});
  }
  for (const char* name : {"openai-gpt", "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl"})
    register_named_config({name, name == std::string("openai-gpt") ? "openai-gpt" : "gpt2",
                           [name] { return GPTConfig::named(name).to_json(); }});
}

}  // namespace nlp::models
