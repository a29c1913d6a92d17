#!/usr/bin/env bash
# The main job: installs what is missing, builds, and fine-tunes on real data with the default
# recipe (recipes/quickstart.json: GLUE SST-2, a small BERT trained from random initialisation,
# since no pretrained checkpoint can be downloaded here; < 10 minutes on 2 cores). Prints the dev
# accuracy next to the majority-class baseline. Extra arguments go to `nlp finetune`
# (e.g. --set max_steps=200, --output DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --target nlp_cli
exec ./build/apps/nlp finetune --recipe recipes/quickstart.json "$@"
