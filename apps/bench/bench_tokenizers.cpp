// Tokens per second of the full tokenizers (nlp::tok::Tokenizer loaded from the Hugging Face
// fixture folders: added-token splitting, normalisation, subwords, offsets) on real text:
//   corpus/kjv-bible.txt (first 10,000 verses), corpus/tinyshakespeare.txt (lines),
//   corpus/wiki_00.txt (lines), GLUE SST-2 train sentences (first 20,000).
//   Tokenize/<tokenizer>/<corpus>     one thread, Tokenizer::tokenize per line (CPU time)
//   EncodeBatch/<tokenizer>/<corpus>  Tokenizer::encode_batch over 1 or 2 threads (wall time):
//                                     special tokens, offsets (bytes + chars), word ids
// items_per_second = tokens produced per second.
#include <benchmark/benchmark.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nlp/tokenizers/tokenizer.h"
#include "nlp/util/fs.h"

namespace {

std::vector<std::string> read_lines(const std::string& rel, bool tsv, size_t limit) {
  const std::string path = nlp::path_join(nlp::shared_dir(), rel);
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  bool header = tsv;
  while (std::getline(in, line) && lines.size() < limit) {
    if (header) {
      header = false;
      continue;
    }
    if (tsv) line = line.substr(0, line.find('\t'));
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.empty()) throw std::runtime_error("bench_tokenizers: no data in " + path);
  return lines;
}

const std::vector<std::string>& corpus(const std::string& name) {
  static std::map<std::string, std::vector<std::string>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  std::vector<std::string> lines;
  if (name == "kjv") lines = read_lines("data/corpus/kjv-bible.txt", false, 10000);
  else if (name == "shakespeare") lines = read_lines("data/corpus/tinyshakespeare.txt", false, 1u << 30);
  else if (name == "wiki") lines = read_lines("data/corpus/wiki_00.txt", false, 1u << 30);
  else lines = read_lines("data/glue/SST-2/train.tsv", true, 20000);
  return cache.emplace(name, std::move(lines)).first->second;
}

const nlp::tok::Tokenizer& tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<nlp::tok::Tokenizer>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return *it->second;
  auto t = std::make_unique<nlp::tok::Tokenizer>(nlp::tok::Tokenizer::from_pretrained(
      nlp::path_join(nlp::shared_dir(), "fixtures/tokenizers/" + name)));
  return *cache.emplace(name, std::move(t)).first->second;
}

void BM_Tokenize(benchmark::State& state, std::string tok_name, std::string corpus_name) {
  const auto& tok = tokenizer(tok_name);
  const auto& lines = corpus(corpus_name);
  for (const auto& l : lines) benchmark::DoNotOptimize(tok.tokenize(l));  // warm caches
  int64_t tokens = 0, bytes = 0;
  for (auto _ : state) {
    for (const auto& l : lines) {
      auto p = tok.tokenize(l);
      tokens += int64_t(p.size());
      bytes += int64_t(l.size());
      benchmark::DoNotOptimize(p.data());
    }
  }
  state.SetItemsProcessed(tokens);
  state.SetBytesProcessed(bytes);
}

void BM_EncodeBatch(benchmark::State& state, std::string tok_name, std::string corpus_name) {
  const auto& tok = tokenizer(tok_name);
  const auto& lines = corpus(corpus_name);
  const int threads = int(state.range(0));
  tok.encode_batch(lines, {}, {}, threads);  // warm caches
  int64_t tokens = 0;
  for (auto _ : state) {
    auto b = tok.encode_batch(lines, {}, {}, threads);
    for (const auto& e : b.encodings) tokens += int64_t(e.size());
    benchmark::DoNotOptimize(b.encodings.data());
  }
  state.SetItemsProcessed(tokens);
}

const int registered = [] {
  const char* toks[] = {"bert-base-uncased", "bert-base-cased", "bert-base-multilingual-cased", "albert-base-v2",
                        "gpt2", "roberta-base", "openai-gpt"};
  const char* corpora[] = {"kjv", "shakespeare", "wiki", "sst2"};
  for (const char* t : toks)
    for (const char* c : corpora) {
      benchmark::RegisterBenchmark((std::string("Tokenize/") + t + "/" + c).c_str(), BM_Tokenize, t, c)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark((std::string("EncodeBatch/") + t + "/" + c).c_str(), BM_EncodeBatch, t, c)
          ->Arg(1)
          ->Arg(2)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  return 0;
}();

}  // namespace
