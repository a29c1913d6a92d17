// nlp finetune --recipe recipes/<task>.json [--output DIR] [--set key=value]...
// Runs a fine-tuning recipe end to end (nlp/tasks/finetune.h) and prints a final report with the
// task metric, the task's trivial baseline and the wall time. Exit code 130 after Ctrl-C (the
// last complete checkpoint in DIR stays loadable).
#include <iostream>

#include "command.h"
#include "nlp/tasks/finetune.h"
#include "nlp/tasks/task_util.h"
#include "nlp/train/recipe.h"
#include "nlp/train/trainer.h"

namespace {

struct Args {
  std::string recipe, output;
  std::vector<std::string> sets;
  bool no_progress = false;
};

int run(const Args& a) {
  nlp::train::Recipe r = nlp::train::load_recipe(a.recipe);
  for (const auto& s : a.sets) nlp::train::apply_override(r, s);
  nlp::train::validate_recipe(r);
  const std::string desc = r.get<std::string>("description");
  std::cout << "[recipe] " << a.recipe << (desc.empty() ? "" : ": " + desc) << std::endl;
  nlp::tasks::FinetuneOptions o;
  o.output_dir = a.output;
  o.progress_bar = !a.no_progress;
  nlp::tasks::FinetuneReport rep = nlp::tasks::run_finetune(r, o);
  using nlp::tasks::fmt_fixed;
  std::cout << "\n=== finetune report: " << r.name << " ===\n";
  if (rep.from_scratch)
    std::cout << "model: trained from RANDOM INITIALISATION (no pretrained checkpoint is available here); expect far "
                 "lower scores than a pretrained BERT\n";
  if (rep.train.interrupted) std::cout << "INTERRUPTED (Ctrl-C) at step " << rep.train.global_step << " of " << rep.train.total_steps << "\n";
  if (rep.train.time_budget_hit)
    std::cout << "stopped by the time budget (max_train_seconds " << fmt_fixed(r.get<double>("max_train_seconds"), 0)
              << ") at step " << rep.train.global_step << " of " << rep.train.total_steps << " (machine slower than planned)\n";
  if (rep.train.best_step >= 0) {
    auto it = rep.metrics.find(rep.main_metric);
    std::cout << "dev " << rep.main_metric << ": " << fmt_fixed(it == rep.metrics.end() ? 0.0 : it->second, 4)
              << " (best evaluation, step " << rep.train.best_step << " of " << rep.train.total_steps << ")\n";
    std::cout << "all metrics:";
    for (auto& [k, v] : rep.metrics) std::cout << " " << k << "=" << fmt_fixed(v, 4);
    std::cout << "\n";
  } else {
    std::cout << "no evaluation completed: no checkpoint was written\n";
  }
  if (!rep.baseline.empty()) std::cout << rep.baseline << "\n";
  std::cout << "train loss (mean over steps): " << fmt_fixed(rep.train.train_loss, 4) << "\n";
  std::cout << "wall time: " << nlp::train::format_duration(rep.wall_seconds) << " (" << fmt_fixed(rep.wall_seconds, 1)
            << "s total, " << fmt_fixed(rep.train.wall_seconds, 1) << "s training + evaluation)\n";
  std::cout << "output: " << rep.output_dir << " (config.json, model.safetensors, tokenizer files, eval_results.json, "
               "predictions, metrics.jsonl)" << std::endl;
  return rep.train.interrupted ? 130 : 0;
}

}  // namespace

static nlp::cli::Register reg("finetune", "fine-tune a model with a recipe (recipes/*.json) and report the dev metric",
                              [](CLI::App& sub) -> nlp::cli::Runner {
                                auto a = std::make_shared<Args>();
                                sub.add_option("--recipe", a->recipe, "recipe JSON file")->required();
                                sub.add_option("--output", a->output, "output folder (default: recipe output_dir or runs/<recipe>)");
                                sub.add_option("--set", a->sets, "override a recipe key: --set key=value (repeatable)");
                                sub.add_flag("--no-progress", a->no_progress, "plain log lines even on a terminal");
                                return [a] { return run(*a); };
                              });
