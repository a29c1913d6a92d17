// Pretraining data pipeline throughput: shard building (tokenize once + write), example
// materialisation and the masking objectives, on the KJV bible from shared/data/corpus.
// The tokenizer is a trivial whitespace/3-byte-chunk one, so the numbers measure the pipeline,
// not a real tokenizer.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "nlp/pretrain/dataset.h"
#include "nlp/util/fs.h"

using namespace nlp::pretrain;

namespace {

constexpr int32_t kH = 8192;
constexpr int64_t kVocab = 10 + 2 * kH;

std::vector<int32_t> chunk_tokenize(std::string_view text) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    for (size_t k = i; k < j; k += 3)
      ids.push_back(10 + (k == i ? 0 : kH) + static_cast<int32_t>(fnv1a64(text.substr(k, std::min<size_t>(3, j - k))) % kH));
    i = j;
  }
  return ids;
}

SpecialTokens special() {
  SpecialTokens s;
  s.pad = 0;
  s.cls = 2;
  s.sep = 3;
  s.mask = 4;
  s.vocab_size = kVocab;
  s.word_start.assign(kVocab, 0);
  for (int32_t id = 0; id < 10 + kH; ++id) s.word_start[static_cast<size_t>(id)] = 1;
  return s;
}

std::string corpus_path() { return nlp::path_join(nlp::shared_dir(), "data/corpus/kjv-bible.txt"); }
std::string cache_dir() { return (std::filesystem::temp_directory_path() / "libnlp_bench_pretrain").string(); }

struct Data {
  Corpus corpus;
  ExampleSet pairs;
  Data() {
    CorpusReadOptions opt;
    opt.max_sentences_per_document = 50;
    std::vector<TokenShard> shards;
    shards.push_back(open_or_build_shard(corpus_path(), cache_dir(), chunk_tokenize, 1, kVocab, opt));
    corpus = Corpus(std::move(shards));
    std::vector<uint64_t> docs(corpus.num_documents());
    for (uint64_t d = 0; d < docs.size(); ++d) docs[d] = d;
    pairs = build_segment_pairs(corpus, docs, PairConfig{}, 1);
  }
};
Data& data() {
  static Data d;
  return d;
}

void BM_BuildShard(benchmark::State& state) {
  const std::string out = cache_dir() + "/bench_build.shard";
  std::filesystem::create_directories(cache_dir());
  uint64_t tokens = 0;
  for (auto _ : state) {
    build_shard(corpus_path(), out, chunk_tokenize, 1, kVocab);
    state.PauseTiming();
    tokens += TokenShard::open(out, false).num_tokens();
    state.ResumeTiming();
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(std::filesystem::file_size(corpus_path())) * state.iterations());
}
BENCHMARK(BM_BuildShard)->Unit(benchmark::kMillisecond);

void BM_OpenShardVerified(benchmark::State& state) {
  data();
  const std::string path = shard_cache_path(corpus_path(), cache_dir());
  for (auto _ : state) benchmark::DoNotOptimize(TokenShard::open(path, true).num_tokens());
}
BENCHMARK(BM_OpenShardVerified)->Unit(benchmark::kMillisecond);

void BM_BuildNspPairs(benchmark::State& state) {
  Data& d = data();
  std::vector<uint64_t> docs(d.corpus.num_documents());
  for (uint64_t i = 0; i < docs.size(); ++i) docs[i] = i;
  for (auto _ : state) benchmark::DoNotOptimize(build_segment_pairs(d.corpus, docs, PairConfig{}, 2).size());
}
BENCHMARK(BM_BuildNspPairs)->Unit(benchmark::kMillisecond);

// One dataset example (materialise + mask), 128-token BERT pairs; state.range(0) = MaskUnit.
void BM_DatasetGet(benchmark::State& state) {
  Data& d = data();
  DatasetConfig cfg;
  cfg.masking.unit = static_cast<MaskUnit>(state.range(0));
  PretrainingDataset ds(d.corpus, d.pairs, special(), cfg);
  uint64_t i = 0, tokens = 0;
  for (auto _ : state) {
    TrainingExample e = ds.get(i++ % ds.size(), 0);
    tokens += e.input_ids.size();
    benchmark::DoNotOptimize(e.labels.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DatasetGet)->Arg(static_cast<int>(MaskUnit::Token))->Arg(static_cast<int>(MaskUnit::WholeWord))->Arg(static_cast<int>(MaskUnit::Span));

}  // namespace
