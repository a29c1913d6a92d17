#include "nlp/models/encoder_decoder.h"

#include <cmath>

#include <torch/torch.h>

#include "nlp/heads/heads.h"
#include "nlp/models/registry.h"
#include "nlp/nn/init.h"
#include "nlp/util/error.h"

namespace nlp::models {

// ---------------------------------------------------------------- config
EncoderDecoderConfig EncoderDecoderConfig::from_json(const json& j, const std::string& source) {
  JsonView v{j, source};
  EncoderDecoderConfig c;
  c.common = CommonConfig::parse(v);
  c.model_type = v.get<std::string>("model_type", "bart");
  check_one_of(source, "model_type", c.model_type, {"bart", "marian"});
  const bool bart = c.is_bart();
  auto positive = [&](const char* field, int64_t& out, int64_t def) {
    out = v.get<int64_t>(field, def);
    check_field(out > 0, source, field, "a positive integer", j.value(field, json()));
  };
  auto probability = [&](const char* field, double& out, double def) {
    out = v.get<double>(field, def);
    check_field(out >= 0.0 && out < 1.0, source, field, "a probability in [0, 1)", j.value(field, json()));
  };
  positive("vocab_size", c.vocab_size, bart ? 50265 : 58101);
  positive("d_model", c.d_model, 1024);
  positive("encoder_layers", c.encoder_layers, 12);
  positive("decoder_layers", c.decoder_layers, 12);
  positive("encoder_attention_heads", c.encoder_attention_heads, 16);
  positive("decoder_attention_heads", c.decoder_attention_heads, 16);
  positive("encoder_ffn_dim", c.encoder_ffn_dim, 4096);
  positive("decoder_ffn_dim", c.decoder_ffn_dim, 4096);
  positive("max_position_embeddings", c.max_position_embeddings, 1024);
  c.activation_function = v.get<std::string>("activation_function", "gelu");
  nn::parse_activation(c.activation_function, source, "activation_function");
  probability("dropout", c.dropout, 0.1);
  probability("attention_dropout", c.attention_dropout, 0.0);
  probability("activation_dropout", c.activation_dropout, 0.0);
  c.init_std = v.get<double>("init_std", 0.02);
  c.scale_embedding = v.get<bool>("scale_embedding", false);
  c.use_cache = v.get<bool>("use_cache", true);
  if (!c.common.pad_token_id) c.common.pad_token_id = bart ? 1 : c.vocab_size - 1;
  if (!c.common.eos_token_id) c.common.eos_token_id = bart ? 2 : 0;
  if (bart && !c.common.bos_token_id) c.common.bos_token_id = 0;
  c.decoder_start_token_id = v.get<int64_t>("decoder_start_token_id", bart ? 2 : *c.common.pad_token_id);
  if (v.has("forced_bos_token_id")) c.forced_bos_token_id = v.require<int64_t>("forced_bos_token_id");
  if (v.has("forced_eos_token_id")) c.forced_eos_token_id = v.require<int64_t>("forced_eos_token_id");
  else if (bart && !j.contains("forced_eos_token_id")) c.forced_eos_token_id = 2;  // BartConfig default
  check_field(!v.get<bool>("normalize_before", false), source, "normalize_before", "false (pre-LN mBART is not supported)", true);
  check_field(!v.get<bool>("add_final_layer_norm", false), source, "add_final_layer_norm", "false", true);
  if (!bart) {
    const int64_t dv = v.get<int64_t>("decoder_vocab_size", c.vocab_size);
    check_field(dv == c.vocab_size, source, "decoder_vocab_size", "equal to vocab_size (separate vocabularies are not supported)", dv);
    check_field(v.get<bool>("share_encoder_decoder_embeddings", true), source, "share_encoder_decoder_embeddings",
                "true (separate embeddings are not supported)", false);
  }
  check_field(c.common.tie_word_embeddings, source, "tie_word_embeddings", "true (untied LM heads are not supported)", false);
  for (auto [h, n] : {std::pair{c.encoder_attention_heads, "encoder_attention_heads"}, {c.decoder_attention_heads, "decoder_attention_heads"}})
    if (c.d_model % h != 0)
      fail(source, "field 'd_model': " + std::to_string(c.d_model) + " is not a multiple of " + n + " (" + std::to_string(h) + ")");
  return c;
}

EncoderDecoderConfig EncoderDecoderConfig::named(const std::string& name) {
  json j;
  if (name == "bart-base") {
    j = {{"model_type", "bart"}, {"architectures", {"BartForConditionalGeneration"}}, {"d_model", 768},
         {"encoder_layers", 6}, {"decoder_layers", 6}, {"encoder_attention_heads", 12}, {"decoder_attention_heads", 12},
         {"encoder_ffn_dim", 3072}, {"decoder_ffn_dim", 3072}};
  } else if (name == "bart-large") {
    j = {{"model_type", "bart"}, {"architectures", {"BartForConditionalGeneration"}}};
  } else if (name == "marian" || name == "opus-mt-en-de") {
    j = {{"model_type", "marian"}, {"architectures", {"MarianMTModel"}}, {"vocab_size", 58101}, {"d_model", 512},
         {"encoder_layers", 6}, {"decoder_layers", 6}, {"encoder_attention_heads", 8}, {"decoder_attention_heads", 8},
         {"encoder_ffn_dim", 2048}, {"decoder_ffn_dim", 2048}, {"max_position_embeddings", 512},
         {"activation_function", "swish"}, {"scale_embedding", true}, {"pad_token_id", 58100}, {"eos_token_id", 0},
         {"decoder_start_token_id", 58100}};
  } else {
    fail("--config", "unknown encoder-decoder configuration '" + name + "' (expected bart-base, bart-large, marian)");
  }
  return from_json(j, name);
}

json EncoderDecoderConfig::to_json() const {
  json j = common.raw.is_object() ? common.raw : json::object();
  common.write(j);
  j["model_type"] = model_type;
  j["vocab_size"] = vocab_size;
  j["d_model"] = d_model;
  j["encoder_layers"] = encoder_layers;
  j["decoder_layers"] = decoder_layers;
  j["encoder_attention_heads"] = encoder_attention_heads;
  j["decoder_attention_heads"] = decoder_attention_heads;
  j["encoder_ffn_dim"] = encoder_ffn_dim;
  j["decoder_ffn_dim"] = decoder_ffn_dim;
  j["max_position_embeddings"] = max_position_embeddings;
  j["activation_function"] = activation_function;
  j["dropout"] = dropout;
  j["attention_dropout"] = attention_dropout;
  j["activation_dropout"] = activation_dropout;
  j["init_std"] = init_std;
  j["scale_embedding"] = scale_embedding;
  j["decoder_start_token_id"] = decoder_start_token_id;
  j["forced_bos_token_id"] = forced_bos_token_id ? json(*forced_bos_token_id) : json(nullptr);
  j["forced_eos_token_id"] = forced_eos_token_id ? json(*forced_eos_token_id) : json(nullptr);
  j["use_cache"] = use_cache;
  j["is_encoder_decoder"] = true;
  return j;
}

nn::EmbeddingsConfig EncoderDecoderConfig::embeddings_config() const {
  nn::EmbeddingsConfig e;
  e.vocab_size = vocab_size;
  e.embedding_size = d_model;
  e.positions = nn::PositionKind::Absolute;
  // BART: learned table with 2 extra rows, position p uses row p + 2. Marian: fixed sinusoids.
  e.max_position_embeddings = max_position_embeddings + (is_bart() ? 2 : 0);
  e.position_offset = is_bart() ? 2 : 0;
  e.type_vocab_size = 0;
  e.pad_token_id = pad_token_id();
  e.layer_norm = is_bart();  // layernorm_embedding
  e.layer_norm_eps = 1e-5;
  e.dropout = dropout;
  e.embed_scale = scale_embedding ? std::sqrt(static_cast<double>(d_model)) : 1.0;
  return e;
}

nn::TransformerStackConfig EncoderDecoderConfig::stack_config(bool is_decoder) const {
  nn::TransformerStackConfig s;
  s.num_layers = is_decoder ? decoder_layers : encoder_layers;
  auto& l = s.layer;
  l.attention.hidden_size = d_model;
  l.attention.num_heads = is_decoder ? decoder_attention_heads : encoder_attention_heads;
  l.attention.dropout = attention_dropout;
  l.attention.causal = is_decoder;
  l.ffn.hidden_size = d_model;
  l.ffn.intermediate_size = is_decoder ? decoder_ffn_dim : encoder_ffn_dim;
  l.ffn.activation = nn::parse_activation(activation_function, common.source);
  l.ffn.activation_dropout = activation_dropout;
  l.hidden_dropout = dropout;
  l.layer_norm_eps = 1e-5;
  l.pre_layer_norm = false;  // §3.1 post-LN
  l.cross_attention = is_decoder;
  return s;
}

// ---------------------------------------------------------------- helpers
at::Tensor marian_sinusoidal_table(int64_t n, int64_t dim) {
  at::Tensor pos = torch::arange(n, torch::kDouble).unsqueeze(1);
  at::Tensor j = torch::arange(dim, torch::kDouble);
  at::Tensor angle = pos / torch::pow(10000.0, 2.0 * torch::floor(j / 2) / dim);  // [n, dim]
  const int64_t half = dim % 2 == 0 ? dim / 2 : dim / 2 + 1;
  at::Tensor out = torch::empty({n, dim}, torch::kDouble);
  out.narrow(1, 0, half).copy_(torch::sin(angle.slice(1, 0, dim, 2)));
  out.narrow(1, half, dim - half).copy_(torch::cos(angle.slice(1, 1, dim, 2)));
  return out.to(torch::kFloat);
}

at::Tensor shift_tokens_right(const at::Tensor& labels, int64_t pad, int64_t start) {
  at::Tensor out = torch::empty_like(labels);
  out.narrow(-1, 1, labels.size(-1) - 1).copy_(labels.narrow(-1, 0, labels.size(-1) - 1));
  out.select(-1, 0).fill_(start);
  return out.masked_fill(out.eq(-100), pad);
}

at::Tensor label_smoothed_cross_entropy(const at::Tensor& logits, const at::Tensor& labels, double eps, int64_t ignore_index) {
  if (labels.sizes() != logits.sizes().slice(0, logits.dim() - 1))
    fail("inputs", "'labels' has shape " + c10::str(labels.sizes()) + " but the logits are " + c10::str(logits.sizes()));
  if (eps == 0.0) return heads::cross_entropy(logits.reshape({-1, logits.size(-1)}), labels.reshape({-1}), ignore_index);
  at::Tensor neg_log_probs = -logits.log_softmax(-1);
  at::Tensor y = labels.to(torch::kLong).unsqueeze(-1);
  at::Tensor pad = y.eq(ignore_index);
  at::Tensor nll = neg_log_probs.gather(-1, y.clamp_min(0)).masked_fill(pad, 0.0);
  at::Tensor smooth = neg_log_probs.sum(-1, true, torch::kFloat).masked_fill(pad, 0.0);
  at::Tensor active = pad.numel() - pad.sum();
  return (1 - eps) * (nll.sum() / active) + eps * (smooth.sum() / (active * neg_log_probs.size(-1)));
}

void Seq2SeqOutput::write(TensorMap& out) const {
  auto list = [&](const std::string& name, const std::vector<at::Tensor>& v) {
    for (size_t i = 0; i < v.size(); ++i) out[name + "." + std::to_string(i)] = v[i];
  };
  out["last_hidden_state"] = last_hidden_state;
  out["encoder_last_hidden_state"] = encoder_last_hidden_state;
  list("encoder_hidden_states", encoder_hidden_states);
  list("encoder_attentions", encoder_attentions);
  list("decoder_hidden_states", decoder_hidden_states);
  list("decoder_attentions", decoder_attentions);
  list("cross_attentions", cross_attentions);
  for (size_t i = 0; i < past_key_values.size(); ++i) {
    const std::string p = "past_key_values." + std::to_string(i);
    out[p + ".key"] = past_key_values[i].self_attn.key;
    out[p + ".value"] = past_key_values[i].self_attn.value;
    out[p + ".cross_key"] = past_key_values[i].cross_attn.key;
    out[p + ".cross_value"] = past_key_values[i].cross_attn.value;
  }
}

// ---------------------------------------------------------------- model
EncoderDecoderModel::EncoderDecoderModel(const EncoderDecoderConfig& c) : config_(c) {
  shared = register_module("shared", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.d_model).padding_idx(c.pad_token_id())));
  encoder_embeddings = register_module("encoder_embeddings", nn::Embeddings(c.embeddings_config()));
  decoder_embeddings = register_module("decoder_embeddings", nn::Embeddings(c.embeddings_config()));
  for (auto* e : {&encoder_embeddings, &decoder_embeddings})  // §3.4: one token table
    (*e)->word_embeddings = (*e)->replace_module("word_embeddings", shared);
  encoder = register_module("encoder", nn::TransformerStack(c.stack_config(false)));
  decoder = register_module("decoder", nn::TransformerStack(c.stack_config(true)));
  reset_sinusoids();
}

void EncoderDecoderModel::reset_sinusoids() {
  if (config_.is_bart()) return;
  torch::NoGradGuard no_grad;
  at::Tensor table = marian_sinusoidal_table(config_.max_position_embeddings, config_.d_model);
  for (auto* e : {&encoder_embeddings, &decoder_embeddings}) {
    (*e)->position_embeddings->weight.copy_(table);
    (*e)->position_embeddings->weight.set_requires_grad(false);
  }
}

const KeyRules& EncoderDecoderModel::key_rules() {
  static const KeyRules rules = KeyRules()
                                    .add("encoder_embeddings.position_embeddings", "encoder.embed_positions")
                                    .add("encoder_embeddings.layer_norm", "encoder.layernorm_embedding")
                                    .add("decoder_embeddings.position_embeddings", "decoder.embed_positions")
                                    .add("decoder_embeddings.layer_norm", "decoder.layernorm_embedding")
                                    .add("cross_attn_layer_norm", "encoder_attn_layer_norm")
                                    .add("cross_attn", "encoder_attn")
                                    .add("ffn.fc1", "fc1")
                                    .add("ffn.fc2", "fc2")
                                    .add("ffn_layer_norm", "final_layer_norm");
  return rules;
}

std::vector<TiedWeight> EncoderDecoderModel::tied_weights() const {
  return {{"encoder.embed_tokens.weight", "shared.weight"}, {"decoder.embed_tokens.weight", "shared.weight"}};
}

bool EncoderDecoderModel::may_be_newly_initialized(const std::string& k) const {
  // Marian's sinusoidal tables are not saved (transformers recomputes them).
  return !config_.is_bart() && k.find("embed_positions.weight") != std::string::npos;
}

void EncoderDecoderModel::init_weights() {
  nn::init_hf_weights(*this, config_.init_std);
  reset_sinusoids();
}

json EncoderDecoderModel::config_json() const {
  json j = config_.to_json();
  j["architectures"] = json::array({architecture()});
  return j;
}

void EncoderDecoderModel::check_ids(const at::Tensor& t, const std::string& name, int64_t past) const {
  if (t.dim() != 2 || at::isFloatingType(t.scalar_type()))
    fail("inputs", "'" + name + "' must be an integer tensor [batch, seq_len] but has shape " + c10::str(t.sizes()));
  if (past + t.size(1) > config_.max_position_embeddings)
    fail("inputs", "'" + name + "': length " + std::to_string(past + t.size(1)) + " exceeds max_position_embeddings (" +
                       std::to_string(config_.max_position_embeddings) + ")");
  if (t.numel() == 0) return;
  int64_t lo = t.min().item<int64_t>(), hi = t.max().item<int64_t>();
  if (lo < 0 || hi >= config_.vocab_size)
    fail("inputs", "'" + name + "' holds ids in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] but vocab_size is " +
                       std::to_string(config_.vocab_size));
}

at::Tensor EncoderDecoderModel::encode(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                       const ForwardOptions& options, Seq2SeqOutput* out) {
  check_ids(input_ids, "input_ids");
  if (attention_mask.defined() && attention_mask.sizes() != input_ids.sizes())
    fail("inputs", "'attention_mask' has shape " + c10::str(attention_mask.sizes()) + " but input_ids has " +
                       c10::str(input_ids.sizes()));
  at::Tensor x = encoder_embeddings->forward(input_ids.to(torch::kLong));
  nn::StackOutput s = encoder->forward(x, nn::additive_attention_mask(attention_mask, x.scalar_type()), {}, {}, {},
                                       options.output_hidden_states, options.output_attentions);
  if (out) {
    out->encoder_last_hidden_state = s.last_hidden_state;
    out->encoder_hidden_states = std::move(s.hidden_states);
    out->encoder_attentions = std::move(s.attentions);
  }
  return s.last_hidden_state;
}

void EncoderDecoderModel::decode(const at::Tensor& ids, const at::Tensor& decoder_mask, const at::Tensor& encoder_hidden,
                                 const at::Tensor& encoder_mask, const std::vector<nn::LayerCache>& past,
                                 const ForwardOptions& options, bool use_cache, Seq2SeqOutput& out) {
  const int64_t past_len = past.empty() || !past[0].self_attn.defined() ? 0 : past[0].self_attn.key.size(2);
  check_ids(ids, "decoder_input_ids", past_len);
  if (decoder_mask.defined() && (decoder_mask.dim() != 2 || decoder_mask.size(1) != past_len + ids.size(1)))
    fail("inputs", "'decoder_attention_mask' has shape " + c10::str(decoder_mask.sizes()) + " but expected [batch, " +
                       std::to_string(past_len + ids.size(1)) + "]");
  at::Tensor x = decoder_embeddings->forward(ids.to(torch::kLong), {}, {}, past_len);
  const auto dtype = x.scalar_type();
  nn::StackOutput s = decoder->forward(x, nn::additive_attention_mask(decoder_mask, dtype), encoder_hidden,
                                       nn::additive_attention_mask(encoder_mask, dtype), past,
                                       options.output_hidden_states, options.output_attentions, use_cache);
  out.last_hidden_state = s.last_hidden_state;
  out.decoder_hidden_states = std::move(s.hidden_states);
  out.decoder_attentions = std::move(s.attentions);
  out.cross_attentions = std::move(s.cross_attentions);
  out.past_key_values = std::move(s.present);
}

Seq2SeqOutput EncoderDecoderModel::run(const TensorMap& inputs, const ForwardOptions& options, bool use_cache) {
  Seq2SeqOutput out;
  at::Tensor mask = optional_input(inputs, "attention_mask");
  at::Tensor enc = optional_input(inputs, "encoder_last_hidden_state");
  if (enc.defined()) out.encoder_last_hidden_state = enc;
  else enc = encode(require_input(inputs, "input_ids"), mask, options, &out);
  at::Tensor dec = optional_input(inputs, "decoder_input_ids");
  if (!dec.defined()) {
    at::Tensor labels = optional_input(inputs, "labels");
    if (!labels.defined()) fail("inputs", "missing required tensor 'decoder_input_ids' (or 'labels' to shift)");
    dec = shift_tokens_right(labels.to(torch::kLong), config_.pad_token_id(), config_.decoder_start_token_id);
  }
  std::vector<nn::LayerCache> past;
  for (int64_t i = 0; i < config_.decoder_layers; ++i) {
    const std::string p = "past_key_values." + std::to_string(i);
    if (!inputs.count(p + ".key")) break;
    past.push_back({{require_input(inputs, p + ".key"), require_input(inputs, p + ".value")},
                    {require_input(inputs, p + ".cross_key"), require_input(inputs, p + ".cross_value")}});
  }
  decode(dec, optional_input(inputs, "decoder_attention_mask"), enc, mask, past, options, use_cache, out);
  return out;
}

TensorMap EncoderDecoderModel::forward(const TensorMap& inputs, const ForwardOptions& options) {
  TensorMap out;
  run(inputs, options, config_.use_cache).write(out);
  return out;
}

// ---------------------------------------------------------------- conditional generation
EncoderDecoderForConditionalGeneration::EncoderDecoderForConditionalGeneration(const EncoderDecoderConfig& c) {
  model = register_module("model", std::make_shared<EncoderDecoderModel>(c));
  final_logits_bias = register_buffer("final_logits_bias", torch::zeros({1, c.vocab_size}));
}

std::string EncoderDecoderForConditionalGeneration::hf_name(const std::string& our) const {
  const std::string p = "model.";
  if (our.rfind(p, 0) == 0) return p + model->hf_name(our.substr(p.size()));
  return our;
}

std::vector<TiedWeight> EncoderDecoderForConditionalGeneration::tied_weights() const {
  std::vector<TiedWeight> t = {{"lm_head.weight", "model.shared.weight"}};
  for (const auto& w : model->tied_weights()) t.push_back({"model." + w.alias, "model." + w.source});
  return t;
}

bool EncoderDecoderForConditionalGeneration::may_be_newly_initialized(const std::string& k) const {
  return k == "final_logits_bias" || (k.rfind("model.", 0) == 0 && model->may_be_newly_initialized(k.substr(6)));
}

void EncoderDecoderForConditionalGeneration::init_weights() {
  model->init_weights();
  final_logits_bias.zero_();
}

json EncoderDecoderForConditionalGeneration::config_json() const {
  json j = model->config().to_json();
  j["architectures"] = json::array({architecture()});
  return j;
}

at::Tensor EncoderDecoderForConditionalGeneration::lm_logits(const at::Tensor& hidden) const {
  return torch::nn::functional::linear(hidden, model->shared->weight) + final_logits_bias;
}

TensorMap EncoderDecoderForConditionalGeneration::forward(const TensorMap& inputs, const ForwardOptions& options) {
  at::Tensor labels = optional_input(inputs, "labels");
  // As transformers: no cache is returned when training with labels.
  Seq2SeqOutput r = model->run(inputs, options, model->config().use_cache && !labels.defined());
  TensorMap out;
  r.write(out);
  at::Tensor logits = lm_logits(r.last_hidden_state);
  out["logits"] = logits;
  if (labels.defined()) out["loss"] = label_smoothed_cross_entropy(logits, labels.to(torch::kLong), label_smoothing);
  return out;
}

void EncoderDecoderForConditionalGeneration::encode_for_generation(DecodingState& state, const at::Tensor& input_ids,
                                                                   const at::Tensor& attention_mask) {
  state.encoder_hidden = model->encode(input_ids, attention_mask);
  state.encoder_mask = attention_mask;
}

at::Tensor EncoderDecoderForConditionalGeneration::next_token_logits(DecodingState& state, const at::Tensor& ids,
                                                                     const at::Tensor&, bool use_cache) {
  const int64_t past = state.cache.empty() ? 0 : state.cache[0].self_attn.key.size(2);
  at::Tensor in = use_cache && past > 0 ? ids.slice(1, past) : ids;
  Seq2SeqOutput r;
  model->decode(in, {}, state.encoder_hidden, state.encoder_mask, use_cache ? state.cache : std::vector<nn::LayerCache>{}, {},
                use_cache, r);
  if (use_cache) state.cache = std::move(r.past_key_values);
  return lm_logits(r.last_hidden_state.select(1, -1));
}

GenerationConfig EncoderDecoderForConditionalGeneration::default_generation_config() const {
  const auto& c = model->config();
  GenerationConfig g;
  if (c.common.eos_token_id) g.eos_token_id = {*c.common.eos_token_id};
  g.bos_token_id = c.common.bos_token_id;
  g.pad_token_id = c.pad_token_id();
  g.decoder_start_token_id = c.decoder_start_token_id;
  g.forced_bos_token_id = c.forced_bos_token_id;
  g.forced_eos_token_id = c.forced_eos_token_id;
  return g;
}

void EncoderDecoderForConditionalGeneration::adjust_beam_logits(at::Tensor& logits) const {
  // MarianMTModel.adjust_logits_during_generation: the pad token is never generated.
  if (!model->config().is_bart()) logits.select(1, model->config().pad_token_id()).fill_(-std::numeric_limits<float>::infinity());
}

// ---------------------------------------------------------------- registry
std::shared_ptr<PretrainedModel> build_encoder_decoder(const EncoderDecoderConfig& c, const std::string& arch) {
  const std::string base = c.is_bart() ? "BartModel" : "MarianModel";
  const std::string cg = c.is_bart() ? "BartForConditionalGeneration" : "MarianMTModel";
  check_one_of(c.common.source, "architectures", arch, {base, cg});
  std::shared_ptr<PretrainedModel> m;
  if (arch == base) m = std::make_shared<EncoderDecoderModel>(c);
  else m = std::make_shared<EncoderDecoderForConditionalGeneration>(c);
  m->init_weights();
  return m;
}

void register_encoder_decoder_models() {
  for (auto [type, archs] : {std::pair<std::string, std::vector<std::string>>{"bart", {"BartModel", "BartForConditionalGeneration"}},
                             {"marian", {"MarianModel", "MarianMTModel"}}})
    for (const auto& arch : archs)
      register_architecture({type, arch, arch == archs[0], [arch = arch](const json& config, const std::string& source) {
                               return build_encoder_decoder(EncoderDecoderConfig::from_json(config, source), arch);
                             }});
  for (const char* name : {"bart-base", "bart-large", "marian"})
    register_named_config({name, name == std::string("marian") ? "marian" : "bart",
                           [name] { return EncoderDecoderConfig::named(name).to_json(); }});
}

}  // namespace nlp::models
