// Tokens per second of the BPE tokenizers on real text:
//   ../shared/data/corpus/kjv-bible.txt (31,102 verses) and SST-2 train sentences (67,349).
// Each iteration tokenizes every line once; items/s = pieces produced per second.
//  *_Warm   steady state (the word cache filled by earlier iterations, as in a long run)
//  *_Cold   a fresh tokenizer each iteration (loading excluded): every word goes through BPE
// threads:2: batched over threads, each thread tokenizing the whole corpus with one shared
// tokenizer (items/s is then the total over threads).
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "nlp/tokenizers/bpe.h"
#include "nlp/tokenizers/bytelevel_bpe.h"
#include "nlp/util/fs.h"

namespace {

std::vector<std::string> read_lines(const std::string& rel, bool tsv_first_column) {
  std::string path = nlp::path_join(nlp::shared_dir(), rel);
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  bool header = tsv_first_column;
  while (std::getline(in, line)) {
    if (header) { header = false; continue; }
    if (tsv_first_column) line = line.substr(0, line.find('\t'));
    lines.push_back(line);
  }
  if (lines.empty()) throw std::runtime_error("bench_bpe: no data in " + path);
  return lines;
}

const std::vector<std::string>& kjv() {
  static auto lines = read_lines("data/corpus/kjv-bible.txt", false);
  return lines;
}
const std::vector<std::string>& sst2() {
  static auto lines = read_lines("data/glue/SST-2/train.tsv", true);
  return lines;
}

std::string fixture(const std::string& name, const std::string& file) {
  return nlp::path_join(nlp::shared_dir(), "fixtures/tokenizers/" + name + "/" + file);
}

std::unique_ptr<nlp::tok::ByteLevelBpeTokenizer> make_gpt2() {
  return std::make_unique<nlp::tok::ByteLevelBpeTokenizer>(fixture("gpt2", "vocab.json"), fixture("gpt2", "merges.txt"));
}
std::unique_ptr<nlp::tok::BpeTokenizer> make_gpt1() {
  return std::make_unique<nlp::tok::BpeTokenizer>(fixture("openai-gpt", "vocab.json"),
                                                  fixture("openai-gpt", "merges.txt"));
}

const nlp::tok::ByteLevelBpeTokenizer& gpt2() {
  static auto t = make_gpt2();
  return *t;
}
const nlp::tok::BpeTokenizer& gpt1() {
  static auto t = make_gpt1();
  return *t;
}

template <class Tok>
void run_corpus(benchmark::State& state, const Tok& tok, const std::vector<std::string>& lines) {
  int64_t pieces = 0, bytes = 0;
  for (const auto& l : lines) {  // warm the cache outside the timed loop
    benchmark::DoNotOptimize(tok.tokenize(l));
  }
  for (auto _ : state) {
    for (const auto& l : lines) {
      auto p = tok.tokenize(l);
      pieces += static_cast<int64_t>(p.size());
      bytes += static_cast<int64_t>(l.size());
      benchmark::DoNotOptimize(p.data());
    }
  }
  state.SetItemsProcessed(pieces);
  state.SetBytesProcessed(bytes);
}

void BM_ByteLevelBpe_KJV_Warm(benchmark::State& state) { run_corpus(state, gpt2(), kjv()); }
void BM_ByteLevelBpe_SST2_Warm(benchmark::State& state) { run_corpus(state, gpt2(), sst2()); }
void BM_Gpt1Bpe_KJV_Warm(benchmark::State& state) { run_corpus(state, gpt1(), kjv()); }
void BM_Gpt1Bpe_SST2_Warm(benchmark::State& state) { run_corpus(state, gpt1(), sst2()); }

template <class Make>
void run_cold(benchmark::State& state, Make make, const std::vector<std::string>& lines) {
  int64_t pieces = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto tok = make();
    state.ResumeTiming();
    for (const auto& l : lines) {
      auto p = tok->tokenize(l);
      pieces += static_cast<int64_t>(p.size());
      benchmark::DoNotOptimize(p.data());
    }
    state.PauseTiming();
    tok.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(pieces);
}

void BM_ByteLevelBpe_KJV_Cold(benchmark::State& state) { run_cold(state, make_gpt2, kjv()); }
void BM_Gpt1Bpe_KJV_Cold(benchmark::State& state) { run_cold(state, make_gpt1, kjv()); }

}  // namespace

// Single-thread numbers use CPU time (the build machine is shared); the 2-thread runs use wall time
// so that items/s is the combined throughput.
#define NLP_BPE_BENCH(fn)                                                     \
  BENCHMARK(fn)->Unit(benchmark::kMillisecond)->Threads(1);                  \
  BENCHMARK(fn)->Unit(benchmark::kMillisecond)->UseRealTime()->Threads(2)
NLP_BPE_BENCH(BM_ByteLevelBpe_KJV_Warm);
NLP_BPE_BENCH(BM_ByteLevelBpe_SST2_Warm);
NLP_BPE_BENCH(BM_Gpt1Bpe_KJV_Warm);
NLP_BPE_BENCH(BM_Gpt1Bpe_SST2_Warm);
BENCHMARK(BM_ByteLevelBpe_KJV_Cold)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Gpt1Bpe_KJV_Cold)->Unit(benchmark::kMillisecond)->Iterations(3);
