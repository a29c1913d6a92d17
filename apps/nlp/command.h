// Subcommand registry for the single `nlp` binary. Each apps/nlp/cmd_<name>.cpp defines
//   static nlp::cli::Register reg("name", "description", [](CLI::App& sub) { ...; return run; });
// The setup function declares options on `sub` and returns the function that runs the command
// (returning the process exit code). main() parses, then calls the selected command.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace nlp::cli {

using Runner = std::function<int()>;
using Setup = std::function<Runner(CLI::App&)>;

struct Command {
  std::string name;
  std::string description;
  Setup setup;
};

std::vector<Command>& registry();

struct Register {
  Register(std::string name, std::string description, Setup setup) {
    registry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

// Global options shared by every subcommand (parsed before the subcommand runs).
struct GlobalOptions {
  int threads = 0;             // 0 = number of physical cores available
  std::string device = "cpu";  // "cpu", "cuda", "cuda:1", ...
  bool verbose = false;
};
GlobalOptions& global_options();

}  // namespace nlp::cli
