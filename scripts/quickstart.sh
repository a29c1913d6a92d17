#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on its default recipe.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec ./build/apps/nlp env
