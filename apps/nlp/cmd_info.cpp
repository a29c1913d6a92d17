// nlp info --model DIR [--head auto|base|ARCH] [--dtype ...]   (a model folder)
// nlp info --config NAME                                       (a published configuration, no weights)
// Prints the architecture, head, parameter counts (total and trainable, tied weights once, as
// transformers' num_parameters()), dtype, checkpoint format and missing/unexpected keys.
#include <torch/torch.h>

#include <iostream>

#include "command.h"
#include "nlp/heads/task_models.h"
#include "nlp/models/loading.h"
#include "nlp/models/registry.h"
#include "nlp/util/error.h"

namespace {

struct InfoArgs {
  std::string model, config, head = "auto", dtype = "float32";
  bool list = false;
};

std::string with_commas(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

void print_list(const char* title, const std::vector<std::string>& v) {
  std::cout << title << v.size() << "\n";
  for (const auto& k : v) std::cout << "  " << k << "\n";
}

void print_model(const nlp::models::PretrainedModel& m) {
  std::cout << "model_type     " << m.model_type() << "\n";
  std::cout << "architecture   " << m.architecture() << "\n";
  std::string head = "none (base model)";
  if (m.is_task_model()) {
    auto pos = m.architecture().find("For");
    head = pos == std::string::npos ? m.architecture() : m.architecture().substr(pos);
  }
  std::cout << "head           " << head << "\n";
  std::cout << "parameters     " << with_commas(nlp::models::num_parameters(m)) << "\n";
  std::cout << "trainable      " << with_commas(nlp::models::num_parameters(m, true)) << "\n";
  auto params = m.parameters();
  std::cout << "dtype          " << (params.empty() ? "-" : nlp::models::dtype_name(params.front().scalar_type())) << "\n";
}

int run_info(const InfoArgs& a) {
  if (a.list) {
    for (const auto& e : nlp::models::registered_architectures())
      std::cout << e.model_type << "  " << e.architecture << (e.is_base ? "  (base)" : "") << "\n";
    for (const auto& e : nlp::models::registered_named_configs()) std::cout << "config  " << e.name << "\n";
    return 0;
  }
  if (a.model.empty() == a.config.empty()) nlp::fail("nlp info", "give exactly one of --model DIR or --config NAME");
  if (!a.config.empty()) {
    auto m = nlp::models::build_model(nlp::models::named_config(a.config), a.config, a.head);
    std::cout << "config         " << a.config << "\n";
    print_model(*m);
    return 0;
  }
  nlp::models::LoadOptions opt;
  opt.head = a.head;
  opt.dtype = nlp::models::parse_dtype(a.dtype);
  auto loaded = nlp::models::from_pretrained(a.model, opt);
  std::cout << "model          " << a.model << "\n";
  print_model(*loaded.model);
  std::cout << "format         " << loaded.report.format << "\n";
  for (const auto& f : loaded.report.files) std::cout << "file           " << f << "\n";
  print_list("missing (newly initialised) ", loaded.report.newly_initialized);
  print_list("unexpected ", loaded.report.unexpected);
  print_list("ignored (tied / buffers) ", loaded.report.ignored);
  if (!loaded.report.renamed.empty()) print_list("renamed (legacy) ", loaded.report.renamed);
  return 0;
}

nlp::cli::Register reg("info", "describe a model: architecture, head, parameter counts, dtype, keys",
                       [](CLI::App& sub) -> nlp::cli::Runner {
                         auto a = std::make_shared<InfoArgs>();
                         sub.add_option("--model", a->model, "Hugging Face model folder");
                         sub.add_option("--config", a->config, "published configuration name (e.g. bert-base)");
                         sub.add_option("--head", a->head, "auto, base, or an architecture name");
                         sub.add_option("--dtype", a->dtype, "float32 (default), bfloat16 or float16");
                         sub.add_flag("--list", a->list, "list the registered architectures and configurations");
                         return [a] { return run_info(*a); };
                       });

}  // namespace
