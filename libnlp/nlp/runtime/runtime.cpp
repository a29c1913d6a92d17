#include "nlp/runtime/runtime.h"

#include <dlfcn.h>
#include <sched.h>

#include <climits>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include <torch/torch.h>

#include "nlp/util/error.h"

namespace nlp {

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

c10::Device parse_device(const std::string& spec) {
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(spec);
  } catch (const std::exception&) {
    fail("--device", "expected cpu, cuda or cuda:N but got '" + spec + "'");
  }
  if (device.is_cuda() && !torch::cuda::is_available())
    fail("--device", "'" + spec + "' requested but this LibTorch build has no usable CUDA device");
  if (device.is_cuda() && device.has_index() &&
      device.index() >= static_cast<int>(torch::cuda::device_count()))
    fail("--device", "'" + spec + "': only " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
  return device;
}

c10::Device init_runtime(const RuntimeOptions& options) {
  int threads = options.threads > 0 ? options.threads : available_cores();
  at::set_num_threads(threads);
  return parse_device(options.device);
}

std::string blas_library_path() {
  void* sym = dlsym(RTLD_DEFAULT, "sgemm_");
  if (!sym) return "(no sgemm_ symbol found)";
  Dl_info info;
  if (!dladdr(sym, &info) || !info.dli_fname) return "(unknown)";
  // libblas.so.3 is usually a Debian alternatives symlink: report what it resolves to.
  char resolved[PATH_MAX];
  if (realpath(info.dli_fname, resolved)) return resolved;
  return info.dli_fname;
}

double measure_gemm_gflops(int n, int repeats) {
  torch::NoGradGuard no_grad;
  auto a = torch::randn({n, n});
  auto b = torch::randn({n, n});
  auto c = torch::mm(a, b);  // warm-up
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) c = torch::mm(a, b);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return 2.0 * n * n * static_cast<double>(n) * repeats / s / 1e9;
}

std::string environment_report(bool measure_gemm) {
  std::ostringstream os;
  auto env = [](const char* k) {
    const char* v = std::getenv(k);
    return std::string(v ? v : "(unset)");
  };
  os << "libnlp         0.1.0\n";
  os << "LibTorch       " << TORCH_VERSION_MAJOR << "." << TORCH_VERSION_MINOR << "." << TORCH_VERSION_PATCH << "\n";
  std::string blas = blas_library_path();
  os << "BLAS           " << blas << "\n";
  os << "oneDNN         " << (at::hasMKLDNN() ? "available" : "not available") << "\n";
  os << "CUDA           " << (torch::cuda::is_available() ? std::to_string(torch::cuda::device_count()) + " device(s)" : "not available") << "\n";
  os << "cores          " << available_cores() << "\n";
  os << "intra-op threads " << at::get_num_threads() << ", inter-op threads " << at::get_num_interop_threads() << "\n";
  os << "OMP_WAIT_POLICY " << env("OMP_WAIT_POLICY") << ", OMP_NUM_THREADS " << env("OMP_NUM_THREADS")
     << ", OPENBLAS_NUM_THREADS " << env("OPENBLAS_NUM_THREADS") << "\n";
  bool reference = blas.find("openblas") == std::string::npos && blas.find("mkl") == std::string::npos &&
                   blas.find("blis") == std::string::npos && blas.find("atlas") == std::string::npos;
  if (reference)
    os << "WARNING: reference BLAS is active (" << blas << "); matrix products are ~50x slower. "
       << "Install libopenblas0-pthread.\n";
  if (measure_gemm) {
    double g = measure_gemm_gflops();
    os << "GEMM fp32 512^3 " << static_cast<long>(g * 10) / 10.0 << " GFLOP/s\n";
  }
  return os.str();
}

}  // namespace nlp
