// `nlp`: the libnlp command-line program. Subcommands register themselves (see command.h).
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "command.h"
#include "nlp/runtime/runtime.h"
#include "nlp/util/error.h"

namespace nlp::cli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

GlobalOptions& global_options() {
  static GlobalOptions options;
  return options;
}

}  // namespace nlp::cli

// OpenMP reads OMP_WAIT_POLICY when libgomp is loaded, i.e. before main(). To make PASSIVE the
// default without a wrapper script, re-execute once with it set (the user's value always wins).
static void ensure_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("NLP_NO_REEXEC")) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  setenv("NLP_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with the default policy.
}

int main(int argc, char** argv) {
  ensure_passive_openmp(argv);
  CLI::App app{"libnlp: Transformer models, tokenizers and recipes on LibTorch"};
  app.require_subcommand(1);
  auto& global = nlp::cli::global_options();
  app.add_option("--threads", global.threads, "intra-op threads (default: all available cores)");
  app.add_option("--device", global.device, "cpu, cuda or cuda:N");
  app.add_flag("-v,--verbose", global.verbose, "more log output");

  nlp::cli::Runner selected;
  std::vector<std::pair<CLI::App*, nlp::cli::Runner>> subs;
  for (auto& command : nlp::cli::registry()) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    subs.emplace_back(sub, command.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    nlp::init_runtime({global.threads, global.device});
    for (auto& [sub, run] : subs)
      if (sub->parsed()) return run();
  } catch (const nlp::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
