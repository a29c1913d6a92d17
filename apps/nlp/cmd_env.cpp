// nlp env: library versions, BLAS in use, thread settings and a measured GEMM throughput.
#include <iostream>

#include "command.h"
#include "nlp/runtime/runtime.h"

static nlp::cli::Register reg("env", "print versions, BLAS, thread settings and measured GEMM GFLOP/s",
                              [](CLI::App& sub) -> nlp::cli::Runner {
                                auto no_gemm = std::make_shared<bool>(false);
                                sub.add_flag("--no-gemm", *no_gemm, "skip the GEMM measurement");
                                return [no_gemm] {
                                  std::cout << nlp::environment_report(!*no_gemm);
                                  return 0;
                                };
                              });
