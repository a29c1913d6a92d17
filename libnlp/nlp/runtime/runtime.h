// Process-wide runtime settings: threads, device selection, environment report.
//
// Threading defaults (measured on the 2-core reference machine, see docs/ARCHITECTURE.md):
//   - OMP_WAIT_POLICY=PASSIVE: LibTorch's OpenMP workers otherwise spin after each parallel
//     region and steal the cores OpenBLAS's own threads need. The `nlp` binary sets it (by
//     re-executing itself once) unless the user already set it.
//   - intra-op threads = number of cores available to the process (sched_getaffinity).
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace nlp {

struct RuntimeOptions {
  int threads = 0;             // <= 0: all cores available to this process
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N"
};

// Applies thread settings (at::set_num_threads) and validates the device. Throws nlp::Error
// when the device is unknown or unavailable (e.g. "cuda" on a CPU-only LibTorch build).
c10::Device init_runtime(const RuntimeOptions& options);

// Cores available to this process.
int available_cores();

// Parses "cpu" / "cuda" / "cuda:1"; throws nlp::Error("--device: ...") when unavailable.
c10::Device parse_device(const std::string& spec);

// Human-readable report: LibTorch version, BLAS library in use, OpenMP/thread settings,
// oneDNN availability, measured float32 GEMM GFLOP/s. Warns when reference BLAS is active.
std::string environment_report(bool measure_gemm = true);

// Measured float32 GEMM throughput in GFLOP/s for an n x n x n product on the current threads.
double measure_gemm_gflops(int n = 512, int repeats = 10);

// Path of the shared library that provides BLAS symbols (sgemm_) in this process.
std::string blas_library_path();

}  // namespace nlp
