#!/usr/bin/env bash
# Builds the libFuzzer targets (apps/fuzz/fuzz_*.cpp) with clang, ASan and UBSan in ./build-fuzz
# (library code instrumented too) and runs each for a bounded time:
#   FUZZ_SECONDS (default 20) per target, FUZZ_TARGETS (default: all), FUZZ_JOBS build jobs (2).
# Any crash, sanitizer report or broken invariant fails the script; the reproducer is left in
# build-fuzz/artifacts/. Corpora persist in build-fuzz/corpus/<target> between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang++ >/dev/null || { echo "[fuzz] clang++ not found (apt-get install clang)"; exit 1; }
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export LIBNLP_SHARED=${LIBNLP_SHARED:-$(cd .. && pwd)/shared}
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DNLP_FUZZ=ON \
    -DNLP_BUILD_TESTS=OFF -DNLP_BENCH=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
fi
targets=${FUZZ_TARGETS:-$(cd apps/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')}
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "${FUZZ_JOBS:-2}" --target $targets
mkdir -p "$BUILD_DIR/artifacts"
for t in $targets; do
  mkdir -p "$BUILD_DIR/corpus/$t"
  echo "[fuzz] $t for ${SECONDS_PER_TARGET}s"
  log="$BUILD_DIR/artifacts/$t.log"
  rc=0
  ASAN_OPTIONS=detect_leaks=0 "$BUILD_DIR/apps/$t" "$BUILD_DIR/corpus/$t" -max_total_time="$SECONDS_PER_TARGET" \
    -max_len=4096 -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/artifacts/$t-" >"$log" 2>&1 || rc=$?
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" | tr '\n' ' '; echo
  if [ "$rc" -ne 0 ]; then
    echo "[fuzz] $t FAILED (exit $rc); see $log"
    tail -40 "$log"
    exit 1
  fi
done
echo "[fuzz] all targets ran without findings"
