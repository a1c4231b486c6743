#!/usr/bin/env bash
# Fine-tuning five ways at equal steps. A small GPT (n_layer 2, n_head 4, n_embd 64, block 32) is pretrained on
# tinyshakespeare with GPT-2's tokenizer; then it is trained on the Brown corpus (prepare --dataset brown, gpt2 tokens)
# with 2 local workers: full fine-tuning (--init-from), LoRA r=8 on c_attn (the default target), LoRA r=8 on all four
# Linear kinds, LoRA r=8 on c_attn plus a rank-1 adapter on the tied embedding (--lora-embedding-rank 1), and the same
# architecture from scratch. Reports val bits/byte on Brown, trainable parameters, gradient
# bytes all-reduced per step (measured: metrics.jsonl allreduce_bytes), step time, checkpoint size, and the issue's
# targets as ratios to full fine-tuning measured in the same run (report.py). Everything stays in bench/out/finetune/STAMP.
# Usage: bench/finetune/run.sh      PRETRAIN_STEPS (60), STEPS (40), THREADS (2: the single-process runs use them all, each of the 2 workers half), EVAL_WINDOWS (200),
#        SEED (1337: the fine-tuning runs' data order and adapter draws), N_LAYER (2), N_HEAD (4), N_EMBD (64), FULL_LR (1e-3), LORA_LR (3e-3), SCRATCH_LR (3e-3): the learning rates are
#        the best of a sweep at 200 steps on a 1,000-step base (bench/RESULTS.md, "Fine-tuning", fourth run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../babygpt/common.sh"

pretrain_steps="${PRETRAIN_STEPS:-60}"
steps="${STEPS:-40}"
threads="${THREADS:-2}"
eval_windows="${EVAL_WINDOWS:-200}"
python=/usr/bin/python3
# FOLDER=bench/out/finetune/STAMP continues an interrupted run: a way whose run already finished is not trained again.
folder="${FOLDER:-$bench_out/finetune/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$folder"
log() { echo "[$(date -u +%H:%M:%S) load $(bench_load)] $*" | tee -a "$folder/progress.txt" >&2; }

log "building"
bench_cli
shakespeare="$bench_out/shakespeare-gpt2"
brown="$bench_out/brown-gpt2"
[ -f "$shakespeare/meta.json" ] || "${ORCH[@]}" prepare --input "$bench_root/../shared/data/tinyshakespeare.txt" --tokenizer gpt2 --out "$shakespeare" --force >&2
[ -f "$brown/meta.json" ] || "${ORCH[@]}" prepare --dataset brown --tokenizer gpt2 --out "$brown" --force >&2

arch=(--n-layer "${N_LAYER:-2}" --n-head "${N_HEAD:-4}" --n-embd "${N_EMBD:-64}" --block-size 32)
common=(--batch-size 2 --max-steps "$steps" --eval-interval "$steps" --eval-batches 5 --checkpoint-interval 0
        --log-interval 10 --seed "${SEED:-1337}" --threads "$(( threads > 1 ? threads / 2 : 1 ))" --workers 2 --grad-clip 1.0)

finished() { [ -f "$folder/$1/checkpoints/latest" ] && grep -q '"kind":"eval"' "$folder/$1/metrics.jsonl"; }

log "pretraining on tinyshakespeare (gpt2 tokens): $pretrain_steps steps"
finished pretrain || "${ORCH[@]}" train --data "$shakespeare" --out "$folder/pretrain" "${arch[@]}" --batch-size 8 --dropout 0 \
  --lr 1e-3 --min-lr 1e-4 --warmup-steps 6 --max-steps "$pretrain_steps" --eval-interval "$pretrain_steps" \
  --eval-batches 5 --checkpoint-interval 0 --log-interval 10 --threads "$threads" > "$folder/pretrain.json" 2> "$folder/pretrain.log"

finetune() { # NAME FLAGS...
  local name="$1"; shift
  if finished "$name"; then return 0; fi
  local attempt
  # Up to 3 attempts: on this oversubscribed machine a worker's ring handshake can time out at start-up (the job
  # then fails before its first step; the failed attempt's log is kept as NAME.attemptN.log).
  for attempt in 1 2 3; do
    rm -rf "${folder:?}/$name"
    log "$name on brown: $steps steps, 2 workers (attempt $attempt)"
    if "${ORCH[@]}" train --data "$brown" --out "$folder/$name" "${common[@]}" "$@" > "$folder/$name.json" 2> "$folder/$name.log"; then return 0; fi
    cp "$folder/$name.log" "$folder/$name.attempt$attempt.log"
  done
  return 1
}
lora_lr="${LORA_LR:-3e-3}" scratch_lr="${SCRATCH_LR:-3e-3}"
finetune full --init-from "$folder/pretrain" --lr "${FULL_LR:-1e-3}"
finetune lora --init-from "$folder/pretrain" --lora-rank 8 --lr "$lora_lr"
finetune lora-all --init-from "$folder/pretrain" --lora-rank 8 --lora-targets c_attn,c_proj,c_fc,mlp.c_proj --lr "$lora_lr"
finetune lora-wte --init-from "$folder/pretrain" --lora-rank 8 --lora-embedding-rank 1 --lr "$lora_lr"
finetune scratch "${arch[@]}" --dropout 0 --lr "$scratch_lr" --min-lr "$("$python" -c "print($scratch_lr / 10)")" --warmup-steps 4

for name in pretrain full lora lora-all lora-wte scratch; do
  log "evaluating $name on brown val ($eval_windows windows)"
  "${ORCH[@]}" eval "$folder/$name" --data "$brown" --split val --max-windows "$eval_windows" --threads "$threads" > "$folder/$name.eval.json"
done

log "report"
"$python" "$here/report.py" "$folder" "$steps" | tee "$folder/report.md"
