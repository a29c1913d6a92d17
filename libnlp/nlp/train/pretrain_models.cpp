#include "nlp/train/pretrain_models.h"

#include <torch/torch.h>

#include <cmath>

#include "nlp/heads/task_models.h"
#include "nlp/io/checkpoint.h"
#include "nlp/models/loading.h"
#include "nlp/models/registry.h"
#include "nlp/nn/activation.h"
#include "nlp/nn/attention.h"
#include "nlp/nn/init.h"
#include "nlp/pretrain/masking.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::train {

namespace {

at::Tensor long_tensor(const std::vector<int64_t>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<int64_t*>(v.data()), shape, torch::kLong).clone();
}

// Flat indices of label != -100 and the labels there.
std::pair<at::Tensor, at::Tensor> masked_targets(const at::Tensor& labels) {
  at::Tensor flat = labels.reshape({-1});
  at::Tensor pos = (flat != pretrain::kIgnoreIndex).nonzero().reshape({-1});
  return {pos, flat.index_select(0, pos)};
}

// Mean CE and correct count for logits [N, C] / targets [N] (N may be 0: loss 0).
at::Tensor ce_and_count(const at::Tensor& logits, const at::Tensor& targets, ObjectiveOutput& out, const std::string& name) {
  const int64_t n = targets.numel();
  out.counts[name + "_total"] += static_cast<double>(n);
  if (n == 0) return torch::zeros({}, logits.options());
  out.counts[name + "_correct"] += (logits.detach().argmax(-1) == targets).sum().item<double>();
  at::Tensor loss = heads::cross_entropy(logits, targets);
  out.losses[name] = loss.item<double>();
  out.terms[name] = loss;
  return loss;
}

heads::MaskedLMHeadConfig mlm_config(const models::BertConfig& c, int64_t hidden) {
  heads::MaskedLMHeadConfig m;
  m.hidden_size = hidden;
  m.embedding_size = c.hidden_size;
  m.vocab_size = c.vocab_size;
  m.activation = nn::parse_activation(c.hidden_act, c.common.source);
  m.layer_norm_eps = c.layer_norm_eps;
  m.tie_word_embeddings = true;
  return m;
}

io::StateDict named_state(const torch::nn::Module& m, const std::string& prefix) {
  io::StateDict d;
  for (const auto& p : m.named_parameters(true)) d[prefix + p.key()] = p.value().detach();
  return d;
}

}  // namespace

models::TensorMap batch_tensors(const pretrain::Batch& b) {
  models::TensorMap t;
  const std::vector<int64_t> shape = {b.batch_size, b.seq_len};
  t["input_ids"] = long_tensor(b.input_ids, shape);
  t["attention_mask"] = long_tensor(b.attention_mask, shape);
  t["token_type_ids"] = long_tensor(b.token_type_ids, shape);
  t["labels"] = long_tensor(b.labels, shape);
  bool any_sentence = false;
  for (int64_t v : b.sentence_labels) any_sentence |= v != pretrain::kIgnoreIndex;
  if (any_sentence) t["sentence_labels"] = long_tensor(b.sentence_labels, {b.batch_size});
  if (b.max_sbo > 0) {
    const std::vector<int64_t> s = {b.batch_size, b.max_sbo};
    t["sbo_positions"] = long_tensor(b.sbo_positions, s);
    t["sbo_left"] = long_tensor(b.sbo_left, s);
    t["sbo_right"] = long_tensor(b.sbo_right, s);
    t["sbo_relative"] = long_tensor(b.sbo_relative, s);
    t["sbo_labels"] = long_tensor(b.sbo_labels, s);
    t["sbo_mask"] = long_tensor(b.sbo_mask, s);
  }
  return t;
}

// ------------------------------------------------------------------------------------ BERT
BertPretraining::BertPretraining(const models::BertConfig& config, bool sentence_head, std::string sentence_name)
    : sentence_name_(std::move(sentence_name)) {
  if (sentence_head) {
    auto m = std::dynamic_pointer_cast<heads::ForPreTraining>(models::build_bert(config, "BertForPreTraining"));
    mlm = m->mlm;
    sentence = m->nsp;
    backbone = m->backbone();
    model = m;
  } else {
    auto m = std::dynamic_pointer_cast<heads::ForMaskedLM>(models::build_bert(config, "BertForMaskedLM"));
    mlm = m->mlm;
    backbone = m->backbone();
    model = m;
  }
  register_module("model", model);
}

ObjectiveOutput BertPretraining::forward(const models::TensorMap& batch) {
  ObjectiveOutput out;
  models::BackboneOutput h = backbone->encode(batch);
  auto [pos, targets] = masked_targets(batch.at("labels"));
  at::Tensor hidden = h.last_hidden_state.reshape({-1, h.last_hidden_state.size(-1)}).index_select(0, pos);
  at::Tensor loss = ce_and_count(mlm->forward(hidden, backbone->input_embeddings()), targets, out, "mlm");
  out.targets = targets;
  if (sentence) {
    auto it = batch.find("sentence_labels");
    if (it == batch.end()) fail("pretraining batch", "the " + sentence_name_ + " objective needs sentence labels (segment-pair examples)");
    at::Tensor logits = sentence->forward(h);
    at::Tensor l = ce_and_count(logits, it->second, out, "sentence");
    out.losses[sentence_name_] = out.losses["sentence"];
    out.losses.erase("sentence");
    out.terms[sentence_name_] = out.terms["sentence"];
    out.terms.erase("sentence");
    loss = loss + l;
  }
  out.loss = loss;
  return out;
}

void BertPretraining::save(const std::string& dir) const { models::save_pretrained(*model, dir); }

std::string BertPretraining::describe() const {
  return model->architecture() + (sentence ? " (MLM + " + sentence_name_ + ")" : " (MLM)");
}

// ------------------------------------------------------------------------------------ SpanBERT
SboHeadImpl::SboHeadImpl(int64_t h, int64_t max_relative, double eps) {
  position_embeddings = register_module("position_embeddings", torch::nn::Embedding(max_relative, h));
  dense1 = register_module("dense1", torch::nn::Linear(3 * h, h));
  layer_norm1 = register_module("layer_norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(eps)));
  dense2 = register_module("dense2", torch::nn::Linear(h, h));
  layer_norm2 = register_module("layer_norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(eps)));
}

at::Tensor SboHeadImpl::forward(const at::Tensor& hidden, const at::Tensor& left, const at::Tensor& right,
                                const at::Tensor& relative) {
  const int64_t b = hidden.size(0), t = left.size(1), h = hidden.size(2);
  auto gather = [&](const at::Tensor& idx) { return hidden.gather(1, idx.unsqueeze(-1).expand({b, t, h})); };
  at::Tensor x = torch::cat({gather(left), gather(right), position_embeddings->forward(relative)}, -1);
  x = layer_norm1->forward(nn::activate(nn::Activation::Gelu, dense1->forward(x)));
  return layer_norm2->forward(nn::activate(nn::Activation::Gelu, dense2->forward(x)));
}

SpanBertPretraining::SpanBertPretraining(const models::BertConfig& config, int64_t max_relative)
    : BertPretraining(config, false, "") {
  sbo = register_module("sbo", SboHead(config.hidden_size, max_relative, config.layer_norm_eps));
  nn::init_hf_weights(*sbo, config.initializer_range);
  sbo->bias = sbo->register_parameter("bias", torch::zeros({config.vocab_size}));
}

ObjectiveOutput SpanBertPretraining::forward(const models::TensorMap& batch) {
  ObjectiveOutput out;
  models::BackboneOutput h = backbone->encode(batch);
  auto [pos, targets] = masked_targets(batch.at("labels"));
  const at::Tensor& x = h.last_hidden_state;
  at::Tensor hidden = x.reshape({-1, x.size(-1)}).index_select(0, pos);
  at::Tensor loss = ce_and_count(mlm->forward(hidden, backbone->input_embeddings()), targets, out, "mlm");
  out.targets = targets;
  auto it = batch.find("sbo_labels");
  if (it != batch.end()) {
    at::Tensor relative = batch.at("sbo_relative").clamp_max(sbo->position_embeddings->weight.size(0) - 1);
    at::Tensor y = sbo->forward(x, batch.at("sbo_left"), batch.at("sbo_right"), relative);  // [b, T, H]
    auto [spos, stargets] = masked_targets(it->second);
    at::Tensor ys = y.reshape({-1, y.size(-1)}).index_select(0, spos);
    at::Tensor logits = torch::nn::functional::linear(ys, backbone->input_embeddings(), sbo->bias);
    loss = loss + ce_and_count(logits, stargets, out, "sbo");
  }
  out.loss = loss;
  return out;
}

void SpanBertPretraining::save(const std::string& dir) const {
  models::save_pretrained(*model, dir);
  io::save_safetensors(path_join(dir, "sbo_head.safetensors"), named_state(*sbo, "sbo."),
                       {{"format", "pt"}, {"note", "SpanBERT span boundary objective head (libnlp names)"}});
}

std::string SpanBertPretraining::describe() const { return "BertForMaskedLM + SBO head (MLM + SBO)"; }

// ------------------------------------------------------------------------------------ ELECTRA
ElectraPretraining::ElectraPretraining(const models::BertConfig& c, double generator_size, double rtd_weight)
    : config_(c), rtd_weight_(rtd_weight) {
  if (!(generator_size > 0 && generator_size <= 1))
    fail(c.common.source, "generator_size: expected a number in (0, 1] but got " + std::to_string(generator_size));
  discriminator = register_module("discriminator", std::make_shared<models::BertModel>(c, false));
  generator_config = c;
  auto scale = [&](int64_t v) { return std::max<int64_t>(1, static_cast<int64_t>(std::llround(v * generator_size))); };
  generator_config.hidden_size = scale(c.hidden_size);
  generator_config.num_attention_heads = scale(c.num_attention_heads);
  generator_config.intermediate_size = scale(c.intermediate_size);
  if (generator_config.hidden_size % generator_config.num_attention_heads != 0)
    fail(c.common.source, "generator hidden size " + std::to_string(generator_config.hidden_size) +
                              " is not divisible by its " + std::to_string(generator_config.num_attention_heads) +
                              " heads (change generator_size or num_attention_heads)");
  if (generator_config.hidden_size != c.hidden_size)
    generator_project = register_module("generator_project", torch::nn::Linear(c.hidden_size, generator_config.hidden_size));
  generator_encoder = register_module("generator_encoder", nn::TransformerStack(generator_config.encoder_config()));
  generator_head = register_module("generator_head",
                                   std::make_shared<heads::MaskedLMHead>(mlm_config(c, generator_config.hidden_size)));
  disc_dense = register_module("disc_dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  disc_out = register_module("disc_out", torch::nn::Linear(c.hidden_size, 1));
  nn::init_hf_weights(*this, c.initializer_range);
}

at::Tensor ElectraPretraining::generator_logits(const at::Tensor& ids, const at::Tensor& am, const at::Tensor& tt,
                                                const at::Tensor& positions) {
  if (ids.dim() != 2 || ids.size(1) > config_.max_position_embeddings)
    fail("inputs", "'input_ids' must be [batch, seq_len] with seq_len <= max_position_embeddings (" +
                       std::to_string(config_.max_position_embeddings) + ") but has shape " + c10::str(ids.sizes()));
  at::Tensor x = discriminator->embeddings->forward(ids, tt);  // shared embeddings
  if (generator_project) x = generator_project->forward(x);
  nn::StackOutput s = generator_encoder->forward(x, nn::additive_attention_mask(am, x.scalar_type()));
  at::Tensor h = s.last_hidden_state.reshape({-1, s.last_hidden_state.size(-1)}).index_select(0, positions);
  return generator_head->forward(h, discriminator->input_embeddings());
}

at::Tensor ElectraPretraining::discriminator_logits(const at::Tensor& ids, const at::Tensor& am, const at::Tensor& tt) {
  at::Tensor h = discriminator->encode(ids, am, tt).last_hidden_state;
  h = nn::activate(nn::parse_activation(config_.hidden_act), disc_dense->forward(h));
  return disc_out->forward(h).squeeze(-1);
}

ObjectiveOutput ElectraPretraining::forward(const models::TensorMap& batch) {
  ObjectiveOutput out;
  const at::Tensor& ids = batch.at("input_ids");
  const at::Tensor& labels = batch.at("labels");
  const at::Tensor& am = batch.at("attention_mask");
  const at::Tensor& tt = batch.at("token_type_ids");
  auto [pos, targets] = masked_targets(labels);
  at::Tensor gen_logits = generator_logits(ids, am, tt, pos);
  at::Tensor loss = ce_and_count(gen_logits, targets, out, "mlm");
  out.targets = targets;

  // Sample replacements from the generator (integers: no gradient flows through sampling).
  at::Tensor sampled;
  {
    torch::NoGradGuard ng;
    sampled = pos.numel() > 0 ? torch::multinomial(torch::softmax(gen_logits.detach().to(torch::kFloat), -1), 1).reshape({-1})
                              : torch::empty({0}, torch::kLong);
  }
  // Discriminator inputs and labels, row by row through the data-pipeline definition
  // (nlp::pretrain::electra_discriminator_inputs): originals with the samples substituted;
  // label 1 where the result differs from the original.
  const int64_t b = ids.size(0), l = ids.size(1);
  at::Tensor original = torch::where(labels != pretrain::kIgnoreIndex, labels, ids).to(torch::kLong).contiguous();
  at::Tensor disc_ids = torch::empty({b, l}, torch::kLong), disc_labels = torch::empty({b, l}, torch::kLong);
  {
    auto o = original.accessor<int64_t, 2>();
    auto p = pos.accessor<int64_t, 1>();
    auto s = sampled.accessor<int64_t, 1>();
    at::Tensor amc = am.to(torch::kLong).contiguous();
    auto m = amc.accessor<int64_t, 2>();
    auto di = disc_ids.accessor<int64_t, 2>();
    auto dlab = disc_labels.accessor<int64_t, 2>();
    int64_t k = 0;
    for (int64_t r = 0; r < b; ++r) {
      std::vector<int32_t> orig(static_cast<size_t>(l)), samp;
      std::vector<int64_t> mpos;
      for (int64_t j = 0; j < l; ++j) orig[static_cast<size_t>(j)] = static_cast<int32_t>(o[r][j]);
      while (k < p.size(0) && p[k] / l == r) {
        mpos.push_back(p[k] % l);
        samp.push_back(static_cast<int32_t>(s[k]));
        ++k;
      }
      pretrain::ElectraDiscriminatorInputs d = pretrain::electra_discriminator_inputs(orig, mpos, samp);
      for (int64_t j = 0; j < l; ++j) {
        di[r][j] = d.input_ids[static_cast<size_t>(j)];
        dlab[r][j] = m[r][j] ? d.labels[static_cast<size_t>(j)] : pretrain::kIgnoreIndex;
      }
    }
  }
  last_disc_input_ids = disc_ids;
  last_disc_labels = disc_labels;

  at::Tensor logits = discriminator_logits(disc_ids, am, tt);
  at::Tensor active = (disc_labels.reshape({-1}) != pretrain::kIgnoreIndex).nonzero().reshape({-1});
  at::Tensor al = logits.reshape({-1}).index_select(0, active);
  at::Tensor dl = disc_labels.reshape({-1}).index_select(0, active);
  out.disc_labels = dl;
  at::Tensor disc_loss = torch::binary_cross_entropy_with_logits(al, dl.to(al.scalar_type()));
  out.losses["disc"] = disc_loss.item<double>();
  out.terms["disc"] = disc_loss;
  out.counts["disc_total"] += static_cast<double>(dl.numel());
  out.counts["disc_correct"] += ((al.detach() > 0).to(torch::kLong) == dl).sum().item<double>();
  out.counts["disc_replaced"] += dl.sum().item<double>();
  out.loss = loss + rtd_weight_ * disc_loss;
  return out;
}

void ElectraPretraining::save(const std::string& dir) const {
  models::save_pretrained(*discriminator, dir);
  io::StateDict extra = named_state(*generator_encoder, "generator_encoder.");
  for (auto& [k, v] : named_state(*generator_head, "generator_head.")) extra[k] = v;
  if (generator_project) for (auto& [k, v] : named_state(*generator_project, "generator_project.")) extra[k] = v;
  for (auto& [k, v] : named_state(*disc_dense, "disc_dense.")) extra[k] = v;
  for (auto& [k, v] : named_state(*disc_out, "disc_out.")) extra[k] = v;
  io::save_safetensors(path_join(dir, "electra_pretraining_heads.safetensors"), extra,
                       {{"format", "pt"},
                        {"note", "ELECTRA generator (uses the discriminator's embeddings) and discriminator head, libnlp names"},
                        {"generator_config", generator_config.to_json().dump()}});
}

std::string ElectraPretraining::describe() const {
  return "ELECTRA: discriminator BERT encoder (hidden " + std::to_string(config_.hidden_size) + ") + generator (hidden " +
         std::to_string(generator_config.hidden_size) + ", " + std::to_string(generator_config.num_attention_heads) +
         " heads, FFN " + std::to_string(generator_config.intermediate_size) + "), shared embeddings";
}

// ------------------------------------------------------------------------------------ causal LM
CausalLmPretraining::CausalLmPretraining(const json& cfg, const std::string& source) {
  model = register_module("model", models::build_model(cfg, source, "auto"));
}

ObjectiveOutput CausalLmPretraining::forward(const models::TensorMap& batch) {
  ObjectiveOutput out;
  const at::Tensor& ids = batch.at("input_ids");
  const at::Tensor& am = batch.at("attention_mask");
  models::TensorMap in{{"input_ids", ids}, {"attention_mask", am}};
  models::TensorMap o = model->forward(in);
  auto it = o.find("logits");
  if (it == o.end()) fail("clm", "the model '" + model->architecture() + "' returns no 'logits' (use an LM head architecture)");
  at::Tensor logits = it->second.slice(1, 0, -1);
  at::Tensor targets = torch::where(am.slice(1, 1) > 0, ids.slice(1, 1), torch::full_like(ids.slice(1, 1), pretrain::kIgnoreIndex));
  auto [pos, t] = masked_targets(targets);
  at::Tensor l = logits.reshape({-1, logits.size(-1)}).index_select(0, pos);
  out.loss = ce_and_count(l, t, out, "clm");
  out.targets = t;
  return out;
}

void CausalLmPretraining::save(const std::string& dir) const { models::save_pretrained(*model, dir); }
std::string CausalLmPretraining::describe() const { return model->architecture() + " (causal LM)"; }

// ------------------------------------------------------------------------------------ factory
std::shared_ptr<PretrainingModel> build_pretraining_model(const json& cfg, const std::string& source,
                                                          const PretrainingModelOptions& o) {
  const std::string type = cfg.value("model_type", std::string("bert"));
  if (o.objective == "clm") return std::make_shared<CausalLmPretraining>(cfg, source);
  if (type != "bert")
    fail(source, "field 'model_type': pretraining objectives are wired to the BERT family in this build; expected 'bert' but got '" +
                     type + "'");
  json c = cfg;
  models::BertConfig bc = models::BertConfig::from_json(c, source);
  if (o.objective == "mlm_nsp") return std::make_shared<BertPretraining>(bc, true, "nsp");
  if (o.objective == "mlm_sop") return std::make_shared<BertPretraining>(bc, true, "sop");
  if (o.objective == "mlm") return std::make_shared<BertPretraining>(bc, false, "");
  if (o.objective == "span_sbo")
    return std::make_shared<SpanBertPretraining>(bc, o.sbo_max_relative > 0 ? o.sbo_max_relative : bc.max_position_embeddings);
  if (o.objective == "electra") return std::make_shared<ElectraPretraining>(bc, o.generator_size, o.rtd_weight);
  fail(source, "objective: expected one of mlm_nsp, mlm_sop, mlm, span_sbo, electra, clm but got '" + o.objective + "'");
}

}  // namespace nlp::train
