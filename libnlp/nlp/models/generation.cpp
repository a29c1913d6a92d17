#include "nlp/models/generation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nlp/models/config.h"
#include "nlp/util/error.h"

namespace nlp::models {

// ---------------------------------------------------------------- config
void GenerationConfig::update(const json& j, const std::string& source) {
  JsonView v{j, source};
  auto opt = [&](const char* f, std::optional<int64_t>& out) {
    if (v.has(f)) out = v.require<int64_t>(f);
  };
  opt("max_new_tokens", max_new_tokens);
  max_length = v.get<int64_t>("max_length", max_length);
  min_length = v.get<int64_t>("min_length", min_length);
  opt("min_new_tokens", min_new_tokens);
  do_sample = v.get<bool>("do_sample", do_sample);
  num_beams = v.get<int64_t>("num_beams", num_beams);
  check_field(num_beams >= 1, source, "num_beams", "an integer >= 1", num_beams);
  temperature = v.get<double>("temperature", temperature);
  check_field(temperature > 0, source, "temperature", "a positive number", temperature);
  top_k = v.get<int64_t>("top_k", top_k);
  top_p = v.get<double>("top_p", top_p);
  check_field(top_p > 0 && top_p <= 1, source, "top_p", "a number in (0, 1]", top_p);
  length_penalty = v.get<double>("length_penalty", length_penalty);
  if (v.has("early_stopping")) {
    const json& e = j.at("early_stopping");
    if (e.is_boolean()) early_stopping = e.get<bool>() ? "true" : "false";
    else if (e.is_string() && e.get<std::string>() == "never") early_stopping = "never";
    else json_field_error(source, "early_stopping", "true, false or \"never\"", e);
  }
  no_repeat_ngram_size = v.get<int64_t>("no_repeat_ngram_size", no_repeat_ngram_size);
  num_return_sequences = v.get<int64_t>("num_return_sequences", num_return_sequences);
  opt("forced_bos_token_id", forced_bos_token_id);
  opt("forced_eos_token_id", forced_eos_token_id);
  opt("pad_token_id", pad_token_id);
  opt("bos_token_id", bos_token_id);
  opt("decoder_start_token_id", decoder_start_token_id);
  if (v.has("eos_token_id")) {
    const json& e = j.at("eos_token_id");
    if (e.is_number_integer()) eos_token_id = {e.get<int64_t>()};
    else if (e.is_array()) eos_token_id = v.require<std::vector<long>>("eos_token_id");
    else json_field_error(source, "eos_token_id", "an integer or a list of integers", e);
  }
  use_cache = v.get<bool>("use_cache", use_cache);
  if (v.has("seed")) seed = static_cast<uint64_t>(v.require<int64_t>("seed"));
}

// ---------------------------------------------------------------- helpers
at::Tensor position_ids_from_mask(const at::Tensor& attention_mask) {
  at::Tensor m = attention_mask.to(torch::kLong);
  return (m.cumsum(-1) - 1).masked_fill(m.eq(0), 1);
}

void reorder_state(DecodingState& state, const at::Tensor& index) {
  auto sel = [&](at::Tensor& t) {
    if (t.defined()) t = t.index_select(0, index);
  };
  for (auto& layer : state.cache) {
    sel(layer.self_attn.key);
    sel(layer.self_attn.value);
    sel(layer.cross_attn.key);
    sel(layer.cross_attn.value);
  }
  sel(state.encoder_hidden);
  sel(state.encoder_mask);
}

namespace {

const float kNegInf = -std::numeric_limits<float>::infinity();

struct Processors {
  const GenerationConfig& cfg;
  int64_t prompt_len;  // decoder-only: prompt length; enc-dec: decoder start length (1)
  int64_t max_length;

  // scores [rows, vocab]; ids [rows, cur_len]. In transformers' order.
  at::Tensor apply(const at::Tensor& ids, at::Tensor scores) const {
    const int64_t cur_len = ids.size(1);
    if (cfg.no_repeat_ngram_size > 0) ban_repeated_ngrams(ids, scores);
    if (!cfg.eos_token_id.empty()) {
      bool block = cur_len < cfg.min_length;
      if (cfg.min_new_tokens && cur_len - prompt_len < *cfg.min_new_tokens) block = true;
      if (block)
        for (int64_t e : cfg.eos_token_id) scores.select(1, e).fill_(kNegInf);
    }
    if (cfg.forced_bos_token_id && cur_len == 1) force(scores, *cfg.forced_bos_token_id);
    if (cfg.forced_eos_token_id && cur_len == max_length - 1) force(scores, *cfg.forced_eos_token_id);
    return scores;
  }

  static void force(at::Tensor& scores, int64_t token) {
    scores.fill_(kNegInf);
    scores.select(1, token).fill_(0);
  }

  void ban_repeated_ngrams(const at::Tensor& ids, at::Tensor& scores) const {
    const int64_t n = cfg.no_repeat_ngram_size, len = ids.size(1);
    if (len + 1 < n) return;
    at::Tensor cpu = ids.to(torch::kCPU).contiguous();
    auto acc = cpu.accessor<int64_t, 2>();
    for (int64_t r = 0; r < ids.size(0); ++r) {
      std::map<std::vector<int64_t>, std::vector<int64_t>> seen;
      for (int64_t s = 0; s + n <= len; ++s) {
        std::vector<int64_t> prefix;
        for (int64_t k = 0; k < n - 1; ++k) prefix.push_back(acc[r][s + k]);
        seen[prefix].push_back(acc[r][s + n - 1]);
      }
      std::vector<int64_t> last;
      for (int64_t k = len - n + 1; k < len; ++k) last.push_back(acc[r][k]);
      auto it = seen.find(last);
      if (it != seen.end())
        for (int64_t t : it->second) scores[r][t] = kNegInf;
    }
  }
};

// Sampling warpers in transformers' order: temperature, top-k, top-p.
at::Tensor warp(at::Tensor scores, const GenerationConfig& cfg) {
  if (cfg.temperature != 1.0) scores = scores / cfg.temperature;
  if (cfg.top_k > 0) {
    const int64_t k = std::min<int64_t>(std::max<int64_t>(cfg.top_k, cfg.num_beams > 1 ? 2 : 1), scores.size(-1));
    at::Tensor kth = std::get<0>(scores.topk(k)).narrow(-1, k - 1, 1);
    scores = scores.masked_fill(scores < kth, kNegInf);
  }
  if (cfg.top_p < 1.0) {
    auto [sorted, idx] = scores.sort(-1, /*descending=*/false);
    at::Tensor cum = sorted.softmax(-1).cumsum(-1);
    at::Tensor remove = cum <= (1 - cfg.top_p);
    remove.narrow(-1, remove.size(-1) - 1, 1).fill_(false);  // keep at least one token
    scores = scores.masked_fill(remove.scatter(-1, idx, remove), kNegInf);
  }
  return scores;
}

at::Tensor is_eos(const at::Tensor& tokens, const std::vector<int64_t>& eos) {
  at::Tensor r = torch::zeros_like(tokens, torch::kBool);
  for (int64_t e : eos) r = r | tokens.eq(e);
  return r;
}

// One finished-hypothesis list per batch item (transformers' BeamHypotheses).
struct Hypotheses {
  int64_t num_beams;
  double length_penalty;
  std::string early_stopping;
  int64_t max_length;
  std::vector<std::pair<double, at::Tensor>> beams;
  double worst = 1e9;

  void add(const at::Tensor& hyp, double sum_logprobs) {
    const double score = sum_logprobs / std::pow(static_cast<double>(hyp.size(-1)), length_penalty);
    if (static_cast<int64_t>(beams.size()) < num_beams || score > worst) {
      beams.emplace_back(score, hyp);
      if (static_cast<int64_t>(beams.size()) > num_beams) {
        std::vector<std::pair<double, size_t>> order;
        for (size_t i = 0; i < beams.size(); ++i) order.emplace_back(beams[i].first, i);
        std::sort(order.begin(), order.end());
        beams.erase(beams.begin() + order[0].second);
        worst = order[1].first;
      } else {
        worst = std::min(score, worst);
      }
    }
  }

  bool is_done(double best_sum_logprobs, int64_t cur_len) const {
    if (static_cast<int64_t>(beams.size()) < num_beams) return false;
    if (early_stopping == "true") return true;
    const double len = early_stopping == "never" && length_penalty > 0 ? max_length : cur_len;
    return worst >= best_sum_logprobs / std::pow(static_cast<double>(len), length_penalty);
  }
};

}  // namespace

// ---------------------------------------------------------------- generate
GenerationOutput generate(GenerativeModel& model, const at::Tensor& input_ids_in, const at::Tensor& attention_mask_in,
                          const GenerationConfig& cfg_in) {
  torch::NoGradGuard no_grad;
  GenerationConfig cfg = cfg_in;
  if (input_ids_in.dim() != 2) fail("generate", "input_ids must be [batch, seq_len] but has shape " + c10::str(input_ids_in.sizes()));
  at::Tensor input_ids = input_ids_in.to(torch::kLong);
  at::Tensor attention_mask = attention_mask_in.defined() ? attention_mask_in.to(torch::kLong) : torch::ones_like(input_ids);
  if (attention_mask.sizes() != input_ids.sizes())
    fail("generate", "attention_mask has shape " + c10::str(attention_mask.sizes()) + " but input_ids has " +
                         c10::str(input_ids.sizes()));
  if (!cfg.pad_token_id && !cfg.eos_token_id.empty()) cfg.pad_token_id = cfg.eos_token_id.front();  // as transformers
  const int64_t K = cfg.num_beams, B = input_ids.size(0);
  if (cfg.num_return_sequences > K && !cfg.do_sample)
    fail("generate", "num_return_sequences (" + std::to_string(cfg.num_return_sequences) + ") must be <= num_beams (" +
                         std::to_string(K) + ")");
  if (cfg.do_sample && K > 1) fail("generate", "beam sampling (do_sample with num_beams > 1) is not supported");

  DecodingState state;
  at::Tensor ids, mask;  // decoder tokens so far / their mask (decoder-only)
  if (model.is_encoder_decoder()) {
    model.encode_for_generation(state, input_ids, attention_mask);
    auto start = cfg.decoder_start_token_id ? cfg.decoder_start_token_id : cfg.bos_token_id;
    if (!start) fail("generate", "encoder-decoder generation needs decoder_start_token_id or bos_token_id");
    ids = torch::full({B, 1}, *start, torch::kLong);
  } else {
    ids = input_ids;
    mask = attention_mask;
  }
  const int64_t prompt_len = ids.size(1);
  const int64_t max_length = cfg.max_new_tokens ? prompt_len + *cfg.max_new_tokens : cfg.max_length;
  if (max_length <= prompt_len)
    fail("generate", "nothing to generate: max_length " + std::to_string(max_length) + " <= input length " +
                         std::to_string(prompt_len) + " (set max_new_tokens)");
  Processors processors{cfg, prompt_len, max_length};
  GenerationOutput out;

  // Expands every row num_beams times (transformers' _expand_inputs_for_generation).
  const int64_t copies = K > 1 ? K : (cfg.do_sample ? cfg.num_return_sequences : 1);
  if (copies > 1) {
    at::Tensor rep = torch::arange(B, torch::kLong).repeat_interleave(copies);
    ids = ids.index_select(0, rep);
    if (mask.defined()) mask = mask.index_select(0, rep);
    reorder_state(state, rep);
  }
  auto extend_mask = [&]() {
    if (mask.defined()) mask = torch::cat({mask, torch::ones({mask.size(0), 1}, mask.options())}, 1);
  };

  if (K == 1) {  // greedy / sampling
    c10::optional<at::Generator> gen;
    if (cfg.do_sample) gen = at::make_generator<at::CPUGeneratorImpl>(cfg.seed);
    at::Tensor unfinished = torch::ones({ids.size(0)}, torch::kLong);
    while (true) {
      at::Tensor logits = model.next_token_logits(state, ids, mask, cfg.use_cache).to(torch::kFloat);
      at::Tensor scores = processors.apply(ids, logits.clone());
      at::Tensor next;
      if (cfg.do_sample) {
        scores = warp(scores, cfg);
        next = torch::multinomial(scores.softmax(-1), 1, false, gen).squeeze(1);
      } else {
        next = scores.argmax(-1);
      }
      out.scores.push_back(scores);
      if (!cfg.eos_token_id.empty()) {
        if (!cfg.pad_token_id) fail("generate", "pad_token_id is needed to pad finished sequences");
        next = next * unfinished + *cfg.pad_token_id * (1 - unfinished);
      }
      ids = torch::cat({ids, next.unsqueeze(1)}, 1);
      extend_mask();
      if (!cfg.eos_token_id.empty()) unfinished = unfinished * (~is_eos(next, cfg.eos_token_id)).to(torch::kLong);
      if (unfinished.max().item<int64_t>() == 0 || ids.size(1) >= max_length) break;
    }
    out.sequences = ids;
    return out;
  }

  // ---- beam search (transformers' beam_search + BeamSearchScorer)
  std::vector<Hypotheses> hyps(B, Hypotheses{K, cfg.length_penalty, cfg.early_stopping, max_length, {}, 1e9});
  std::vector<bool> done(B, false);
  at::Tensor beam_scores = torch::zeros({B, K}, torch::kFloat);
  beam_scores.narrow(1, 1, K - 1).fill_(-1e9);
  beam_scores = beam_scores.view({-1});
  const int64_t n_eos = static_cast<int64_t>(cfg.eos_token_id.size());
  at::Tensor last_tokens, last_indices;
  while (true) {
    at::Tensor logits = model.next_token_logits(state, ids, mask, cfg.use_cache).to(torch::kFloat);
    model.adjust_beam_logits(logits);
    at::Tensor processed = processors.apply(ids, logits.log_softmax(-1));
    out.scores.push_back(processed);
    const int64_t V = processed.size(-1);
    at::Tensor next_scores = (processed + beam_scores.unsqueeze(1)).view({B, K * V});
    auto [top_scores, top_tokens] = next_scores.topk(std::max<int64_t>(2, 1 + n_eos) * K, 1, true, true);
    at::Tensor next_indices = top_tokens.div(V, "floor"), next_tokens = top_tokens.remainder(V);
    const int64_t cur_len = ids.size(1);  // as 4.31 BeamSearchScorer.process (before the new token)

    at::Tensor nb_scores = torch::zeros({B, K}, torch::kFloat), nb_tokens = torch::zeros({B, K}, torch::kLong),
               nb_index = torch::zeros({B, K}, torch::kLong);
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) {
        if (!cfg.pad_token_id) fail("generate", "pad_token_id is needed for beam search with finished hypotheses");
        nb_tokens[b].fill_(*cfg.pad_token_id);
        continue;
      }
      int64_t slot = 0;
      for (int64_t rank = 0; rank < top_tokens.size(1); ++rank) {
        const int64_t tok = next_tokens[b][rank].item<int64_t>();
        const int64_t row = b * K + next_indices[b][rank].item<int64_t>();
        const double sc = top_scores[b][rank].item<double>();
        if (std::find(cfg.eos_token_id.begin(), cfg.eos_token_id.end(), tok) != cfg.eos_token_id.end()) {
          if (rank >= K) continue;
          hyps[b].add(ids[row].clone(), sc);
        } else {
          nb_scores[b][slot] = sc;
          nb_tokens[b][slot] = tok;
          nb_index[b][slot] = row;
          ++slot;
        }
        if (slot == K) break;
      }
      done[b] = done[b] || hyps[b].is_done(top_scores[b].max().item<double>(), cur_len);
    }
    beam_scores = nb_scores.view({-1});
    at::Tensor beam_idx = nb_index.view({-1});
    ids = torch::cat({ids.index_select(0, beam_idx), nb_tokens.view({-1, 1})}, 1);
    extend_mask();
    if (cfg.use_cache) reorder_state(state, beam_idx);
    const bool all_done = std::all_of(done.begin(), done.end(), [](bool d) { return d; });
    if (all_done || ids.size(1) >= max_length) break;
  }

  // finalize: add the open beams, then keep the best num_return_sequences per item
  for (int64_t b = 0; b < B; ++b) {
    if (done[b]) continue;
    for (int64_t k = 0; k < K; ++k) hyps[b].add(ids[b * K + k].clone(), beam_scores[b * K + k].item<double>());
  }
  const int64_t R = cfg.num_return_sequences;
  std::vector<at::Tensor> best;
  std::vector<double> best_scores;
  for (auto& h : hyps) {
    auto sorted = h.beams;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& c) { return a.first < c.first; });
    for (int64_t j = 0; j < R; ++j) {
      best.push_back(sorted.back().second);
      best_scores.push_back(sorted.back().first);
      sorted.pop_back();
    }
  }
  int64_t lmin = best.front().size(0), lmax = lmin;
  for (const auto& t : best) lmin = std::min(lmin, t.size(0)), lmax = std::max(lmax, t.size(0));
  const int64_t width = std::min(lmax + 1, max_length);
  at::Tensor decoded = torch::empty({static_cast<int64_t>(best.size()), width}, torch::kLong);
  if (lmin != lmax) {
    if (!cfg.pad_token_id) fail("generate", "pad_token_id is needed to pad beam outputs of different lengths");
    decoded.fill_(*cfg.pad_token_id);
  }
  for (size_t i = 0; i < best.size(); ++i) {
    const int64_t len = best[i].size(0);
    decoded[i].narrow(0, 0, len).copy_(best[i]);
    if (len < width) {
      if (cfg.eos_token_id.empty()) fail("generate", "eos_token_id is needed to end shorter beam outputs");
      decoded[i][len] = cfg.eos_token_id.front();
    }
  }
  out.sequences = decoded;
  out.sequences_scores = torch::tensor(best_scores, torch::kFloat);
  return out;
}

}  // namespace nlp::models
