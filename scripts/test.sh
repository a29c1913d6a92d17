#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest over Catch2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_WAIT_POLICY=PASSIVE
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" ${CTEST_ARGS:-}
