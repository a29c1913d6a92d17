#!/usr/bin/env bash
# Transfer-learning quickstart (the seeds' claim, measured): pretrain a small BERT with masked LM
# for a few minutes (recipes/pretrain/quickstart-transfer.json), fine-tune it on SST-2 with the quickstart
# fine-tuning recipe (recipes/quickstart.json), and fine-tune the same architecture from random
# initialisation with the identical recipe; print both dev accuracies.
#
# Environment: OUT (default runs/quickstart-transfer), PRETRAIN_STEPS (default: the recipe's),
# FINETUNE_STEPS (default 600 optimizer steps of 32 sentences each for both fine-tunings).
# Rerunning resumes/reuses the pretraining checkpoint in $OUT/pretrained.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --target nlp_cli >/dev/null
NLP=./build/apps/nlp
OUT=${OUT:-runs/quickstart-transfer}
FT_STEPS=${FINETUNE_STEPS:-600}
PT_SET=()
[ -n "${PRETRAIN_STEPS:-}" ] && PT_SET=(--set "max_steps=${PRETRAIN_STEPS}")
mkdir -p "$OUT"
start=$(date +%s)

echo "== 1/3 pretraining (masked LM) =="
$NLP pretrain --recipe recipes/pretrain/quickstart-transfer.json --output "$OUT/pretrained" --no-progress "${PT_SET[@]}" | tee "$OUT.pretrain.log" | grep -E "^\[|^step|validation loss|unigram|training:" || true
t1=$(date +%s)

FT=(--recipe recipes/quickstart.json --set "max_steps=${FT_STEPS}" --set eval_steps=0 --no-progress)
echo "== 2/3 fine-tuning on SST-2 from the pretrained model =="
$NLP finetune "${FT[@]}" --output "$OUT/sst2-pretrained" --set "model=$OUT/pretrained" --set model_config=null --set tokenizer= \
  > "$OUT.finetune-pretrained.log"
grep -E "^dev |wall time" "$OUT.finetune-pretrained.log" || true
t2=$(date +%s)
echo "== 3/3 fine-tuning on SST-2 from random initialisation =="
$NLP finetune "${FT[@]}" --output "$OUT/sst2-random" > "$OUT.finetune-random.log"
grep -E "^dev |wall time" "$OUT.finetune-random.log" || true
t3=$(date +%s)

acc() { grep -E "^dev eval_accuracy" "$1" | sed -E 's/^dev eval_accuracy: ([0-9.]+).*/\1/'; }
echo
echo "=== transfer-learning quickstart: SST-2 dev accuracy (872 sentences) ==="
printf "%-40s %s\n" "fine-tuned from MLM-pretrained BERT:" "$(acc "$OUT.finetune-pretrained.log")"
printf "%-40s %s\n" "fine-tuned from random initialisation:" "$(acc "$OUT.finetune-random.log")"
echo "majority-class baseline: 0.5092"
echo "time: pretraining $((t1 - start))s, fine-tuning $((t2 - t1))s + $((t3 - t2))s, total $((t3 - start))s"
