// nlp bench forward --config bert-base --batch 8 --seq-len 128 --iters 10 [--warmup 2]
//                   [--dtype float32] [--sweep [--rounds R]]
// Times the forward pass of a randomly initialised model of a published configuration (eval
// mode, no grad, full attention mask). --sweep re-runs the measurement in child processes for
// every combination of intra-op threads {1, cores} x OMP_WAIT_POLICY {PASSIVE, ACTIVE} (libgomp
// reads the policy at start-up, so each needs its own process), interleaved over R rounds, and
// prints them side by side.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <numeric>
#include <sstream>

#include "command.h"
#include "nlp/models/loading.h"
#include "nlp/models/registry.h"
#include "nlp/runtime/runtime.h"
#include "nlp/util/error.h"

namespace {

struct BenchArgs {
  std::string config = "bert-base", dtype = "float32";
  int batch = 8, seq_len = 128, iters = 10, warmup = 2, rounds = 1;
  bool sweep = false;
};

struct Stats {
  double mean = 0, median = 0, min = 0, stddev = 0;
};

Stats stats(std::vector<double> v) {
  Stats s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stddev = std::sqrt(ss / v.size());
  return s;
}

int measure(const BenchArgs& a) {
  if (a.batch < 1 || a.seq_len < 1 || a.iters < 1 || a.warmup < 0)
    nlp::fail("nlp bench", "--batch, --seq-len and --iters must be >= 1 and --warmup >= 0");
  torch::manual_seed(0);
  auto model = nlp::models::build_model(nlp::models::named_config(a.config), a.config, "base");
  model->to(nlp::models::parse_dtype(a.dtype));
  model->eval();
  const int64_t vocab = nlp::models::named_config(a.config).value("vocab_size", 30522);
  nlp::models::TensorMap inputs = {
      {"input_ids", torch::randint(vocab, {a.batch, a.seq_len}, torch::kLong)},
      {"attention_mask", torch::ones({a.batch, a.seq_len}, torch::kLong)},
      {"token_type_ids", torch::zeros({a.batch, a.seq_len}, torch::kLong)}};
  torch::NoGradGuard no_grad;
  for (int i = 0; i < a.warmup; ++i) model->forward(inputs);
  std::vector<double> ms;
  for (int i = 0; i < a.iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = model->forward(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  Stats s = stats(ms);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::cout << std::fixed << std::setprecision(1) << "forward " << a.config << " batch " << a.batch << " seq "
            << a.seq_len << " dtype " << a.dtype << " threads " << at::get_num_threads() << " OMP_WAIT_POLICY "
            << (policy ? policy : "(unset)") << ": median " << s.median << " ms, mean " << s.mean << " ms, min "
            << s.min << " ms, stddev " << s.stddev << " ms, " << std::setprecision(2)
            << a.batch * 1000.0 / s.median << " sequences/s\n";
  std::cout << "RESULT " << s.median << " " << s.mean << " " << s.min << " " << s.stddev << "\n";
  return 0;
}

int sweep(const BenchArgs& a) {
  const int cores = nlp::available_cores();
  std::vector<int> threads = {1};
  if (cores > 1) threads.push_back(cores);
  const std::vector<std::string> policies = {"PASSIVE", "ACTIVE"};
  std::map<std::pair<int, std::string>, std::vector<Stats>> results;
  for (int r = 0; r < std::max(1, a.rounds); ++r) {
    for (int t : threads) {
      for (const auto& p : policies) {
        std::ostringstream cmd;
        cmd << "env OMP_WAIT_POLICY=" << p << " NLP_NO_REEXEC=1 /proc/" << getpid() << "/exe --threads " << t
            << " bench forward --config '" << a.config << "' --batch " << a.batch << " --seq-len " << a.seq_len
            << " --iters " << a.iters << " --warmup " << a.warmup << " --dtype " << a.dtype;
        FILE* pipe = popen(cmd.str().c_str(), "r");
        if (!pipe) nlp::fail("nlp bench", "cannot start child process");
        char line[512];
        Stats s;
        bool ok = false;
        while (fgets(line, sizeof line, pipe)) {
          std::string l(line);
          if (l.rfind("RESULT ", 0) == 0) {
            std::istringstream in(l.substr(7));
            ok = static_cast<bool>(in >> s.median >> s.mean >> s.min >> s.stddev);
          }
        }
        if (pclose(pipe) != 0 || !ok) nlp::fail("nlp bench", "child run failed: " + cmd.str());
        results[{t, p}].push_back(s);
        std::cerr << "round " << r + 1 << " threads " << t << " " << p << ": median " << s.median << " ms\n";
      }
    }
  }
  std::cout << "forward " << a.config << " batch " << a.batch << " seq " << a.seq_len << " dtype " << a.dtype << ", "
            << a.iters << " iters x " << std::max(1, a.rounds) << " rounds (median of round medians; worst stddev)\n";
  std::cout << "threads  OMP_WAIT_POLICY  median_ms  min_ms  stddev_ms  seq/s\n";
  for (auto& [key, v] : results) {
    std::vector<double> med, mins;
    double sd = 0;
    for (auto& s : v) {
      med.push_back(s.median);
      mins.push_back(s.min);
      sd = std::max(sd, s.stddev);
    }
    double m = stats(med).median;
    std::cout << std::fixed << std::setprecision(1) << std::setw(7) << key.first << "  " << std::setw(15)
              << key.second << "  " << std::setw(9) << m << "  " << std::setw(6) << stats(mins).min << "  "
              << std::setw(9) << sd << "  " << std::setprecision(2) << a.batch * 1000.0 / m << "\n";
  }
  return 0;
}

nlp::cli::Register reg("bench", "benchmarks: `nlp bench forward` times a model forward pass",
                       [](CLI::App& sub) -> nlp::cli::Runner {
                         auto a = std::make_shared<BenchArgs>();
                         sub.require_subcommand(1);
                         CLI::App* fwd = sub.add_subcommand("forward", "time the forward pass of a random-weights model");
                         fwd->add_option("--config", a->config, "published configuration (bert-base, bert-large, ...)");
                         fwd->add_option("--batch", a->batch, "batch size");
                         fwd->add_option("--seq-len", a->seq_len, "sequence length");
                         fwd->add_option("--iters", a->iters, "timed iterations");
                         fwd->add_option("--warmup", a->warmup, "untimed iterations first");
                         fwd->add_option("--dtype", a->dtype, "float32, bfloat16 or float16");
                         fwd->add_flag("--sweep", a->sweep, "compare threads {1, cores} x OMP_WAIT_POLICY {PASSIVE, ACTIVE}");
                         fwd->add_option("--rounds", a->rounds, "interleaved repetitions of the sweep");
                         return [a] { return a->sweep ? sweep(*a) : measure(*a); };
                       });

}  // namespace
