// nlp generate --model DIR --inputs IN.safetensors --output OUT.safetensors [--max-new-tokens N]
//              [--num-beams B] [--no-cache] [--do-sample --temperature T --top-k K --top-p P --seed S] ...
// Reads gen.input_ids / gen.attention_mask from IN (left-padded for decoder-only models), generates
// with defaults from DIR/generation_config.json (else config.json) overridden by the flags, and
// writes gen.output_ids [rows, len] and gen.scores [steps, rows, vocab] (processed scores of each
// step, as transformers' output_scores) atomically to OUT.
// --prompt TEXT needs the tokenizer library (branch `tok`), which is not merged here yet: it is
// refused with a clear error.
#include <torch/torch.h>

#include <iostream>
#include <optional>

#include "command.h"
#include "nlp/io/checkpoint.h"
#include "nlp/models/generation.h"
#include "nlp/models/loading.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace {

struct GenerateArgs {
  std::string model, inputs, output, prompt, format = "safetensors", early_stopping;
  std::optional<int64_t> max_new_tokens, max_length, num_beams, top_k, min_length, no_repeat_ngram_size, num_return_sequences, seed;
  std::optional<double> temperature, top_p, length_penalty;
  bool no_cache = false, do_sample = false;
};

int run_generate(const GenerateArgs& a) {
  using namespace nlp;
  if (!a.prompt.empty())
    fail("--prompt", "text prompts need the tokenizer library, which this build does not include yet; "
                     "use --inputs with gen.input_ids / gen.attention_mask");
  if (a.inputs.empty() || a.output.empty()) fail("generate", "--inputs and --output are required");
  models::LoadOptions opt;
  if (a.format == "bin") opt.prefer = io::CheckpointFormat::PytorchBin;
  else if (a.format != "safetensors") fail("--format", "expected safetensors or bin but got '" + a.format + "'");
  auto loaded = models::from_pretrained(a.model, opt);
  auto* gen = dynamic_cast<models::GenerativeModel*>(loaded.model.get());
  if (!gen) fail(a.model, loaded.model->architecture() + " cannot generate (expected a LM head or encoder-decoder model)");

  // Defaults: transformers uses generation_config.json when present, else the model config.
  models::GenerationConfig cfg = gen->default_generation_config();
  const std::string gc = path_join(a.model, "generation_config.json");
  if (path_exists(gc)) cfg.update(read_json_file(gc), gc);
  json flags = json::object();
  if (a.max_new_tokens) flags["max_new_tokens"] = *a.max_new_tokens;
  if (a.max_length) flags["max_length"] = *a.max_length;
  if (a.num_beams) flags["num_beams"] = *a.num_beams;
  if (a.top_k) flags["top_k"] = *a.top_k;
  if (a.min_length) flags["min_length"] = *a.min_length;
  if (a.no_repeat_ngram_size) flags["no_repeat_ngram_size"] = *a.no_repeat_ngram_size;
  if (a.num_return_sequences) flags["num_return_sequences"] = *a.num_return_sequences;
  if (a.seed) flags["seed"] = *a.seed;
  if (a.temperature) flags["temperature"] = *a.temperature;
  if (a.top_p) flags["top_p"] = *a.top_p;
  if (a.length_penalty) flags["length_penalty"] = *a.length_penalty;
  if (!a.early_stopping.empty())
    flags["early_stopping"] = a.early_stopping == "never" ? json("never") : json(a.early_stopping == "true");
  if (a.do_sample) flags["do_sample"] = true;
  if (a.no_cache) flags["use_cache"] = false;
  cfg.update(flags, "command line");

  auto in = io::load_safetensors(a.inputs);
  auto it = in.find("gen.input_ids");
  if (it == in.end()) fail(a.inputs, "missing tensor 'gen.input_ids'");
  at::Tensor mask = in.count("gen.attention_mask") ? in.at("gen.attention_mask") : at::Tensor();
  auto out = models::generate(*gen, it->second, mask, cfg);

  io::StateDict tensors;
  tensors["gen.output_ids"] = out.sequences.contiguous();
  if (!out.scores.empty()) tensors["gen.scores"] = torch::stack(out.scores).contiguous();
  if (out.sequences_scores.defined()) tensors["gen.sequences_scores"] = out.sequences_scores;
  io::save_safetensors(a.output, tensors);
  std::cout << loaded.model->architecture() << ": generated " << out.scores.size() << " steps for "
            << out.sequences.size(0) << " sequences -> " << a.output << "\n";
  return 0;
}

nlp::cli::Register reg("generate", "generate token ids with a GPT-2 / BART / Marian model (greedy, beam, sampling)",
                       [](CLI::App& sub) -> nlp::cli::Runner {
                         auto a = std::make_shared<GenerateArgs>();
                         sub.add_option("--model", a->model, "Hugging Face model folder")->required();
                         sub.add_option("--inputs", a->inputs, "safetensors with gen.input_ids [, gen.attention_mask]");
                         sub.add_option("--output", a->output, "safetensors to write gen.output_ids / gen.scores to");
                         sub.add_option("--prompt", a->prompt, "text prompt (needs the tokenizer library)");
                         sub.add_option("--format", a->format, "checkpoint format when both exist: safetensors or bin");
                         sub.add_option("--max-new-tokens", a->max_new_tokens, "tokens to generate");
                         sub.add_option("--max-length", a->max_length, "total length limit (when no --max-new-tokens)");
                         sub.add_option("--min-length", a->min_length, "eos is blocked below this length");
                         sub.add_option("--num-beams", a->num_beams, "beam search width (1 = greedy / sampling)");
                         sub.add_option("--length-penalty", a->length_penalty, "beam score = logprob / length^penalty");
                         sub.add_option("--early-stopping", a->early_stopping, "true, false or never (beam search)");
                         sub.add_option("--no-repeat-ngram-size", a->no_repeat_ngram_size, "ban repeated n-grams");
                         sub.add_option("--num-return-sequences", a->num_return_sequences, "outputs per input");
                         sub.add_flag("--do-sample", a->do_sample, "sample instead of greedy decoding");
                         sub.add_option("--temperature", a->temperature, "sampling temperature");
                         sub.add_option("--top-k", a->top_k, "keep the k most likely tokens (0 = off)");
                         sub.add_option("--top-p", a->top_p, "nucleus sampling mass");
                         sub.add_option("--seed", a->seed, "sampling seed");
                         sub.add_flag("--no-cache", a->no_cache, "recompute every step without the KV cache");
                         return [a] { return run_generate(*a); };
                       });

}  // namespace
