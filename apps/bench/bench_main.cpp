// Entry point of nlp_bench (Google Benchmark); the benchmarks live in the other bench_*.cpp files.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
