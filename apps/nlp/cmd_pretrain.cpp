// nlp pretrain --recipe recipes/pretrain/<name>.json [--output DIR] [--set key=value]... [--stop-after N]
// Pretrains a model from a recipe (nlp/train/pretrain.h): metrics in DIR/metrics.jsonl, a resumable
// checkpoint in DIR/checkpoint.safetensors, the final Hugging Face model (config.json,
// model.safetensors, tokenizer files) and pretrain_results.json in DIR. Rerunning the same
// command after a kill or Ctrl-C resumes from the last checkpoint. Exit code 130 when stopped early.
#include <iostream>

#include "command.h"
#include "nlp/train/pretrain.h"
#include "nlp/train/trainer.h"

namespace {

struct Args {
  std::string recipe, output;
  std::vector<std::string> sets;
  bool no_progress = false;
  int64_t stop_after = 0;
};

std::string f4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

int run(const Args& a) {
  nlp::train::Recipe r = nlp::train::load_pretrain_recipe(a.recipe);
  for (const auto& s : a.sets) nlp::train::apply_pretrain_override(r, s);
  nlp::train::validate_pretrain_recipe(r);
  const std::string desc = r.get<std::string>("description");
  std::cout << "[recipe] " << a.recipe << (desc.empty() ? "" : ": " + desc) << std::endl;
  nlp::train::PretrainOptions o;
  o.output_dir = a.output;
  o.progress_bar = !a.no_progress;
  o.stop_after_step = a.stop_after;
  nlp::train::PretrainReport rep = nlp::train::run_pretrain(r, o);
  std::cout << "\n=== pretrain report: " << r.name << " ===\n";
  if (rep.start_step > 0) std::cout << "resumed at step " << rep.start_step << "\n";
  if (rep.interrupted) {
    std::cout << "STOPPED at step " << rep.global_step << " of " << rep.max_steps << " (rerun to resume)\n";
    return 130;
  }
  std::cout << "steps: " << rep.global_step << ", parameters: " << rep.num_parameters << ", train examples: " << rep.train_examples
            << ", validation examples: " << rep.eval_examples << "\n";
  std::cout << "validation loss (nats):";
  for (auto& [k, v] : rep.eval_metrics)
    if (k.rfind("eval_loss", 0) == 0) std::cout << " " << k << "=" << f4(v);
  std::cout << "\nunigram baseline (entropy of the validation targets, nats):";
  for (auto& [k, v] : rep.unigram_baseline) std::cout << " " << k << "=" << f4(v);
  std::cout << "\naccuracy:";
  for (auto& [k, v] : rep.eval_metrics)
    if (k.find("accuracy") != std::string::npos) std::cout << " " << k << "=" << f4(v);
  std::cout << "\ntraining: " << nlp::train::format_duration(rep.train_seconds) << " (" << f4(rep.tokens_per_second).substr(0, f4(rep.tokens_per_second).find('.'))
            << " tokens/s); wall time " << nlp::train::format_duration(rep.wall_seconds) << "\n";
  std::cout << "output: " << rep.output_dir
            << " (config.json, model.safetensors, tokenizer files, metrics.jsonl, pretrain_results.json, checkpoint.safetensors)"
            << std::endl;
  return 0;
}

}  // namespace

static nlp::cli::Register reg("pretrain", "pretrain a model with a recipe (recipes/pretrain/*.json); resumes from DIR's checkpoint",
                              [](CLI::App& sub) -> nlp::cli::Runner {
                                auto a = std::make_shared<Args>();
                                sub.add_option("--recipe", a->recipe, "pretraining recipe JSON file")->required();
                                sub.add_option("--output", a->output, "output folder (default: recipe output_dir or runs/pretrain/<recipe>)");
                                sub.add_option("--set", a->sets, "override a recipe key: --set key=value (repeatable)");
                                sub.add_option("--stop-after", a->stop_after,
                                               "stop after this step as if killed (for resume tests; checkpoints only at save_steps)");
                                sub.add_flag("--no-progress", a->no_progress, "plain log lines even on a terminal");
                                return [a] { return run(*a); };
                              });
