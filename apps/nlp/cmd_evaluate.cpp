// nlp evaluate --model DIR --recipe R [--set key=value]... [--predictions DIR]
// Evaluates a fine-tuned model folder on the recipe's evaluation data (no training) and prints
// the metrics as JSON (transformers Trainer names).
#include <iostream>

#include "command.h"
#include "nlp/tasks/finetune.h"
#include "nlp/train/recipe.h"
#include "nlp/util/json.h"

static nlp::cli::Register reg("evaluate", "evaluate a fine-tuned model folder on a recipe's eval data",
                              [](CLI::App& sub) -> nlp::cli::Runner {
                                struct A {
                                  std::string model, recipe, predictions;
                                  std::vector<std::string> sets;
                                };
                                auto a = std::make_shared<A>();
                                sub.add_option("--model", a->model, "fine-tuned model folder")->required();
                                sub.add_option("--recipe", a->recipe, "recipe JSON file (its eval data and settings)")->required();
                                sub.add_option("--set", a->sets, "override a recipe key: --set key=value (repeatable)");
                                sub.add_option("--predictions", a->predictions, "write prediction files into this folder");
                                return [a] {
                                  nlp::train::Recipe r = nlp::train::load_recipe(a->recipe);
                                  for (auto& s : a->sets) nlp::train::apply_override(r, s);
                                  auto m = nlp::tasks::run_evaluate(a->model, r, a->predictions);
                                  nlp::json j = nlp::json::object();
                                  for (auto& [k, v] : m) j[k] = v;
                                  std::cout << j.dump(2) << std::endl;
                                  return 0;
                                };
                              });
