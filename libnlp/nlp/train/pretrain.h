// Pretraining from a recipe (what `nlp pretrain` runs): corpus -> examples -> masking
// (nlp/pretrain/*) -> an objective model (nlp/train/pretrain_models.h) -> a resumable training
// loop -> a Hugging Face model folder.
//
// Recipes are flat JSON objects checked against pretrain_recipe_defaults() (a separate schema from
// the fine-tuning recipes of recipe.h, sharing its Recipe type, path expansion ("${shared}/",
// "${data}/"), data root and model/tokenizer resolution). `--set key=value` overrides any key,
// `model_config.<field>=v` a field of the model's config.json.
//
// Objectives (recipe key "objective"; source of each in pretrain_models.h):
//   mlm_nsp   BERT masked LM + next-sentence prediction (BertForPreTraining)
//   mlm_sop   masked LM + sentence-order prediction (ALBERT's SOP task on the same two-way head)
//   mlm       masked LM only (RoBERTa: FULL-SENTENCES packing + dynamic masking; BertForMaskedLM)
//   span_sbo  SpanBERT: span masking + span-boundary objective, no NSP
//   electra   ELECTRA replaced-token detection: generator MLM + 50 * discriminator loss
//   clm       causal LM with shifted labels (GPT); needs a decoder family in the registry
//
// The training loop (run_pretrain):
//   * example k of the training stream is epoch_permutation(n, seed, k / n)[k % n] of the
//     dataset (nlp/pretrain/rng.h), fed at epoch k / n (dynamic masks change per epoch); optimizer
//     step s consumes stream examples [s * B * A, (s + 1) * B * A) (B = per-device batch,
//     A = gradient_accumulation_steps). The data position is therefore the step number.
//   * AdamW exactly as torch.optim.AdamW (decoupled weight decay; bias correction), no decay on
//     biases and LayerNorm weights (transformers' groups); lr = learning_rate *
//     linear warmup/decay factor(step, warmup, max_steps) (BERT: linear warmup then linear decay);
//     clipping by global L2 norm.
//   * checkpoints: <output>/checkpoint.safetensors, one file written atomically every save_steps,
//     at the end and on Ctrl-C, holding the model, the AdamW moments, the torch RNG state and
//     (metadata) the step, AdamW step counts, the recipe and the metrics so far. A run whose
//     output folder has a checkpoint resumes from it (unless resume = false): the subsequent
//     losses equal those of an uninterrupted run with the same seed and thread count (the
//     schedule, data position and random streams are all functions of the step).
//   * metrics: <output>/metrics.jsonl, one JSON object per event: training logs (loss and
//     loss_<objective> means, mlm_accuracy, sentence_accuracy, disc_accuracy, learning_rate,
//     tokens_per_second), evaluations (eval_loss, eval_loss_<objective>, eval_mlm_accuracy, ...)
//     and the final summary; appended on resume.
//   * evaluation on the held-out documents (validation_fraction) every eval_steps and at the end,
//     with masks fixed by the seed and the torch RNG restored afterwards (evaluation never shifts
//     the training random stream); reports the unigram baseline of the validation targets
//     (entropy in nats of their empirical distribution - the best any unigram model can do).
//   * the final model is written into the output folder in Hugging Face format (config.json,
//     model.safetensors, tokenizer files), loadable by from_pretrained / `nlp finetune`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nlp/train/recipe.h"
#include "nlp/util/json.h"

namespace nlp::train {

// The pretraining schema: every key with its default (the type of a default types overrides).
const json& pretrain_recipe_defaults();

// Reads / parses a pretraining recipe (same error rules as load_recipe in recipe.h: JSON syntax
// errors with position, unknown keys listing the valid ones, wrong value types).
Recipe load_pretrain_recipe(const std::string& path);
Recipe parse_pretrain_recipe(const std::string& text, const std::string& source);
// "--set key=value" against the pretraining schema (see apply_override in recipe.h).
void apply_pretrain_override(Recipe& recipe, const std::string& assignment);
// Cross-field checks; nlp::Error "<recipe>: field '<key>': expected ... but got ...".
void validate_pretrain_recipe(const Recipe& recipe);

struct PretrainOptions {
  std::string output_dir;      // overrides the recipe's output_dir ("" = recipe, else runs/pretrain/<name>)
  bool progress_bar = true;    // drawn only when stderr is a terminal
  bool quiet = false;          // no log lines on stdout
  // Stop after this optimizer step as if killed right after it (no checkpoint written at the
  // stop unless it falls on save_steps; the schedule still targets max_steps). 0 = off. For
  // kill-and-resume tests and `nlp pretrain --stop-after`.
  int64_t stop_after_step = 0;
};

struct PretrainReport {
  std::string output_dir;
  int64_t start_step = 0;   // > 0 when resumed from a checkpoint
  int64_t global_step = 0;
  int64_t max_steps = 0;
  bool interrupted = false;  // Ctrl-C or stop_after_step
  std::map<int64_t, double> step_losses;         // total loss of every optimizer step run here
  std::map<std::string, double> eval_metrics;    // last evaluation (eval_loss, eval_loss_mlm, ...)
  std::map<std::string, double> unigram_baseline;  // per objective: mlm, clm (nats); nsp/sop/disc (binary entropy)
  double train_seconds = 0;
  double wall_seconds = 0;
  int64_t num_parameters = 0;
  int64_t train_examples = 0, eval_examples = 0;
  double tokens_per_second = 0;  // non-padding input tokens per second of training steps
};

// Runs the recipe (validated first). Throws nlp::Error on bad recipes, data or checkpoints.
PretrainReport run_pretrain(const Recipe& recipe, const PretrainOptions& options = {});

}  // namespace nlp::train
