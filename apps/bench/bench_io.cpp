// Checkpoint loading speed and memory on a BERT-base-sized checkpoint (110M float32 parameters,
// the shapes of bert-base-uncased), written by this library into $NLP_BENCH_DIR (default: the
// system temp dir) on first use. Files are read from the page cache (hot), as after a first load.
//
//   nlp_bench --benchmark_filter=Checkpoint
//
// Counters: params, MB (file size), and peak_rss_MB / baseline_rss_MB measured in a forked child
// that does only the load (+ copy). A forked child starts from the parent's peak RSS, so run
// once to create the files, then each benchmark in its own process for clean RSS numbers.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include "nlp/io/checkpoint.h"
#include "nlp/io/torch_archive.h"
#include "nlp/util/fs.h"

namespace {

// bert-base-uncased: vocab 30522, hidden 768, 12 layers, 12 heads, intermediate 3072, 512 positions.
nlp::io::StateDict bert_base_state_dict() {
  const int64_t V = 30522, H = 768, I = 3072, P = 512, L = 12;
  torch::manual_seed(0);
  nlp::io::StateDict sd;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) { sd[name] = torch::randn(shape) * 0.02; };
  add("bert.embeddings.word_embeddings.weight", {V, H});
  add("bert.embeddings.position_embeddings.weight", {P, H});
  add("bert.embeddings.token_type_embeddings.weight", {2, H});
  add("bert.embeddings.LayerNorm.weight", {H});
  add("bert.embeddings.LayerNorm.bias", {H});
  for (int64_t l = 0; l < L; ++l) {
    std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    for (const char* m : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      add(p + m + ".weight", {H, H});
      add(p + m + ".bias", {H});
    }
    add(p + "attention.output.LayerNorm.weight", {H});
    add(p + "attention.output.LayerNorm.bias", {H});
    add(p + "intermediate.dense.weight", {I, H});
    add(p + "intermediate.dense.bias", {I});
    add(p + "output.dense.weight", {H, I});
    add(p + "output.dense.bias", {H});
    add(p + "output.LayerNorm.weight", {H});
    add(p + "output.LayerNorm.bias", {H});
  }
  add("bert.pooler.dense.weight", {H, H});
  add("bert.pooler.dense.bias", {H});
  return sd;
}

int64_t count_params(const nlp::io::StateDict& sd) {
  int64_t n = 0;
  for (const auto& kv : sd) n += kv.second.numel();
  return n;
}

// The same tensors as a torch.save archive (one storage per tensor, 64-byte aligned records).
void save_as_pytorch_bin(const std::string& path, const nlp::io::StateDict& sd) {
  std::vector<nlp::io::detail::PickledTensor> specs;
  std::vector<std::pair<std::string, std::string>> records{{"pytorch_model/data.pkl", ""}};
  int key = 0;
  for (const auto& [name, t] : sd) {
    std::vector<int64_t> stride(t.strides().begin(), t.strides().end());
    specs.push_back({name, "FloatStorage", std::to_string(key), t.numel(), 0, t.sizes().vec(), stride});
    records.push_back({"pytorch_model/data/" + std::to_string(key++),
                       std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size())});
  }
  records[0].second = nlp::io::detail::state_dict_pickle(specs);
  records.push_back({"pytorch_model/version", "3\n"});
  nlp::write_file_atomic(path, nlp::io::detail::make_stored_zip(records));
}

struct Files {
  std::string safetensors, bin;
  int64_t params = 0;
};

const Files& files() {
  static Files f = [] {
    const char* env = std::getenv("NLP_BENCH_DIR");
    std::string dir = (env && *env) ? env : (std::filesystem::temp_directory_path() / "nlp_bench_bert_base").string();
    std::filesystem::create_directories(dir);
    Files out{dir + "/model.safetensors", dir + "/pytorch_model.bin", 0};
    if (!nlp::path_exists(out.safetensors) || !nlp::path_exists(out.bin)) {
      nlp::io::StateDict sd = bert_base_state_dict();
      nlp::io::save_safetensors(out.safetensors, sd);
      save_as_pytorch_bin(out.bin, sd);
    }
    out.params = count_params(nlp::io::load_safetensors(out.safetensors));  // header only
    return out;
  }();
  return f;
}

// Copies every tensor into fresh memory held until the end, as loading a model's parameters does.
double materialize(const nlp::io::StateDict& sd) {
  std::vector<at::Tensor> params;
  double s = 0;
  for (const auto& kv : sd) {
    params.push_back(torch::empty_like(kv.second));
    params.back().copy_(kv.second);
    s += params.back().data_ptr<float>()[0];
  }
  return s;
}

// Peak RSS (MiB) of a forked child running `work` (the child starts from the parent's pages,
// so the parent holds no tensors when this is called).
double child_peak_rss_mb(const std::function<void()>& work) {
  pid_t pid = fork();
  if (pid == 0) {
    try {
      work();
    } catch (...) {
      _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return ru.ru_maxrss / 1024.0;
}

void BM_Checkpoint(benchmark::State& state, bool bin, bool copy) {
  const Files& f = files();
  const std::string& path = bin ? f.bin : f.safetensors;
  auto load = [&] { return bin ? nlp::io::load_pytorch_bin(path) : nlp::io::load_safetensors(path); };
  for (auto _ : state) {
    nlp::io::StateDict sd = load();
    if (copy) benchmark::DoNotOptimize(materialize(sd));
    benchmark::DoNotOptimize(sd.size());
  }
  state.counters["params"] = static_cast<double>(f.params);
  state.counters["MB"] = std::filesystem::file_size(path) / 1e6;
  state.counters["baseline_rss_MB"] = child_peak_rss_mb([] {});
  state.counters["peak_rss_MB"] = child_peak_rss_mb([&] {
    nlp::io::StateDict sd = load();
    benchmark::DoNotOptimize(copy ? materialize(sd) : static_cast<double>(sd.size()));
  });
}

}  // namespace

// load_* only: safetensors maps the file and validates the header (pages are touched lazily);
// pytorch_model.bin additionally reads every record once to verify its CRC-32.
BENCHMARK_CAPTURE(BM_Checkpoint, safetensors_load, false, false)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK_CAPTURE(BM_Checkpoint, pytorch_bin_load, true, false)->Unit(benchmark::kMillisecond)->MinTime(1.0);
// load + copy every tensor into owned memory (what loading a model's parameters costs).
BENCHMARK_CAPTURE(BM_Checkpoint, safetensors_load_and_copy, false, true)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK_CAPTURE(BM_Checkpoint, pytorch_bin_load_and_copy, true, true)->Unit(benchmark::kMillisecond)->MinTime(1.0);
