#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest over Catch2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_WAIT_POLICY=PASSIVE
# Tokenizer fuzz targets for a bounded time (clang + ASan/UBSan build in ./build-fuzz; ~5 min cold,
# ~1.5 min warm). FUZZ_SECONDS=0 skips. Run first so that CTest's summary is the closing line.
if [ "${FUZZ_SECONDS:-20}" != "0" ]; then
  bash scripts/fuzz.sh
fi
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" ${CTEST_ARGS:-}
