#!/usr/bin/env bash
# Installs the Debian packages libnlp needs (only those missing) and configures + builds the
# project in ./build. Idempotent: a second run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ccache pkg-config libtorch-dev libsentencepiece-dev nlohmann-json3-dev
          libcli11-dev catch2 libopenblas0-pthread libutf8proc-dev libpcre2-dev libbenchmark-dev clang)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Path-independent cache keys: a fresh clone elsewhere reuses the objects of earlier builds.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$JOBS" "$@"
