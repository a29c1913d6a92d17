// Text generation for decoder-only (GPT-2) and encoder-decoder (BART, Marian) models, as
// transformers 4.31 `generate()` does it:
//   greedy        argmax of the processed logits each step
//   sampling      temperature -> top-k -> top-p warpers, then multinomial (seeded)
//   beam search   log-softmax + processors + running beam scores, top 2*num_beams candidates,
//                 finished hypotheses kept per batch item by score / length^length_penalty
//                 (BeamSearchScorer: early_stopping true / false / "never")
// Logits processors (in transformers' order): min_length / min_new_tokens (eos -> -inf),
// no_repeat_ngram_size, forced_bos_token_id (first step), forced_eos_token_id (last step).
// Left-padded decoder-only prompts: position_ids = cumsum(attention_mask) - 1, with 1 at padding.
// Finished sequences (greedy/sampling) are continued with pad_token_id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "nlp/nn/transformer.h"
#include "nlp/util/json.h"

namespace nlp::models {

// transformers' GenerationConfig (the fields we implement).
struct GenerationConfig {
  std::optional<int64_t> max_new_tokens;  // takes precedence over max_length
  int64_t max_length = 20;                // prompt (decoder-only) / decoder (enc-dec) length incl. start
  int64_t min_length = 0;
  std::optional<int64_t> min_new_tokens;
  bool do_sample = false;
  int64_t num_beams = 1;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  double length_penalty = 1.0;
  std::string early_stopping = "false";  // "true", "false" or "never"
  int64_t no_repeat_ngram_size = 0;
  int64_t num_return_sequences = 1;
  std::optional<int64_t> forced_bos_token_id, forced_eos_token_id;
  std::vector<int64_t> eos_token_id;  // any of them ends a sequence
  std::optional<int64_t> pad_token_id, bos_token_id, decoder_start_token_id;
  bool use_cache = true;
  uint64_t seed = 0;  // sampling RNG seed

  // Reads generation_config.json (or config.json) content over the current values.
  // Throws nlp::Error naming `source` and the field for wrong types.
  void update(const json& j, const std::string& source);
};

// What a model keeps between decoding steps.
struct DecodingState {
  std::vector<nn::LayerCache> cache;  // per decoder layer; empty before the first step
  at::Tensor encoder_hidden;          // enc-dec: [batch, src_len, hidden]
  at::Tensor encoder_mask;            // enc-dec: [batch, src_len] (1 = token)
};

class GenerativeModel {
 public:
  virtual ~GenerativeModel() = default;
  virtual bool is_encoder_decoder() const = 0;
  // Encoder-decoder: runs the encoder and stores its output in `state`.
  virtual void encode_for_generation(DecodingState& state, const at::Tensor& input_ids,
                                     const at::Tensor& attention_mask) {}
  // Logits for the next token, [batch, vocab] float. `ids` [batch, len] are all tokens so far
  // (decoder-only: prompt + generated; enc-dec: decoder tokens from the start token);
  // `attention_mask` [batch, len] covers them (decoder-only; undefined for enc-dec). With
  // use_cache only the tokens not yet in state.cache are run and the cache is extended.
  virtual at::Tensor next_token_logits(DecodingState& state, const at::Tensor& ids, const at::Tensor& attention_mask,
                                       bool use_cache) = 0;
  // Defaults from config.json (eos/bos/pad, decoder_start_token_id, forced_*).
  virtual GenerationConfig default_generation_config() const = 0;
  // transformers' adjust_logits_during_generation, applied to raw logits in beam search only
  // (Marian: the pad token can never be generated). Default: none.
  virtual void adjust_beam_logits(at::Tensor& logits) const {}
};

struct GenerationOutput {
  at::Tensor sequences;            // [batch * num_return_sequences, len] int64 (decoder-only: incl. prompt)
  std::vector<at::Tensor> scores;  // per step: processed scores [batch * beams, vocab] (output_scores)
  at::Tensor sequences_scores;     // beam search: [batch * num_return_sequences]
};

// input_ids [batch, len] int64; attention_mask [batch, len] (default: ones; decoder-only
// prompts must be LEFT padded). Throws nlp::Error ("generate: ...") for inconsistent options
// (no pad token with finished sequences, num_return_sequences > num_beams, ...).
GenerationOutput generate(GenerativeModel& model, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                          const GenerationConfig& config);

// Decoder-only position ids for a (left-padded) mask: cumsum(mask) - 1, 1 where mask == 0.
at::Tensor position_ids_from_mask(const at::Tensor& attention_mask);

// Reorders every cached tensor along the batch dimension (beam search).
void reorder_state(DecodingState& state, const at::Tensor& index);

}  // namespace nlp::models
