#!/usr/bin/env bash
# nanoGPT's baby GPT on tinyshakespeare-char (n_layer 4, n_head 4, n_embd 128, block 64, batch 12, lr 1e-3 cosine to
# 1e-4 after 100 warm-up steps, beta2 0.99, dropout 0, weight decay 0.1, clip 1.0), trained by ours and by the
# PyTorch reference (reference.py) one after the other, on the same prepared data and thread count; then our final
# weights are re-scored by the PyTorch model; last, PAIRS alternating short runs of each (SHORT_ITERS steps) at THREADS
# and at 1 thread. Prints markdown tables (report.py) and keeps everything in bench/out/babygpt/STAMP/.
# Usage: bench/babygpt/run.sh     ITERS (2000; 200 for a smoke run), THREADS (2), EVAL_BATCHES (200), SHORT_ITERS (300),
#                                 PAIRS (2; 0 skips the short runs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"

iters="${ITERS:-2000}"
threads="${THREADS:-2}"
eval_batches="${EVAL_BATCHES:-200}"
short_iters="${SHORT_ITERS:-300}"
pairs="${PAIRS:-2}"
python=/usr/bin/python3

folder="$bench_out/babygpt/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder"
log() { echo "[$(date -u +%H:%M:%S) load $(bench_load)] $*" | tee -a "$folder/loads.txt" >&2; }

log "building"
bench_cli
bench_data
bench_build "$here/MatmulPeak/MatmulPeak.csproj" "$bench_out/matmulpeak"
bench_build "$here/StepProfile/StepProfile.csproj" "$bench_out/stepprofile"
vocab=$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['vocab_size'])" "$bench_data_dir/meta.json")
cat > "$folder/config.json" <<JSON
{"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 64, "batch_size": 12, "vocab_size": $vocab,
 "iters": $iters, "short_iters": $short_iters, "pairs": $pairs, "threads": $threads, "eval_batches": $eval_batches, "commit": "$bench_commit"}
JSON

log "matmul peak, $threads threads"
dotnet "$bench_out/matmulpeak/MatmulPeak.dll" "$threads" 1024 > "$folder/peak-torchsharp.json"
"$python" "$here/reference.py" --matmul-peak 1024 --threads "$threads" > "$folder/peak-pytorch.json"
cat "$folder/peak-torchsharp.json" "$folder/peak-pytorch.json" >&2

warmup_for() { echo $(( $1 >= 1000 ? 100 : ($1 / 10 > 0 ? $1 / 10 : 1) )); }

ours_train() { # NAME ITERS THREADS EVAL_BATCHES
  /usr/bin/time -f '%U %S %e' -o "$folder/$1.time" \
    "${ORCH[@]}" train --data "$bench_data_dir" --out "$folder/$1-run" \
      --n-layer 4 --n-head 4 --n-embd 128 --block-size 64 --batch-size 12 --lr 1e-3 --min-lr 1e-4 \
      --max-steps "$2" --warmup-steps "$(warmup_for "$2")" --beta2 0.99 --dropout 0 --weight-decay 0.1 --grad-clip 1.0 \
      --threads "$3" --eval-interval "$2" --eval-batches "$4" --checkpoint-interval 0 \
      --log-interval 100 --seed 1337 > "$folder/$1.json" 2> "$folder/$1.log"
}

reference_train() { # NAME ITERS THREADS EVAL_BATCHES
  /usr/bin/time -f '%U %S %e' -o "$folder/$1.time" \
    "$python" "$here/reference.py" --data "$bench_data_dir" --iters "$2" --warmup "$(warmup_for "$2")" --threads "$3" \
      --eval-batches "$4" --seed 1337 > "$folder/$1.json" 2> "$folder/$1.log"
}

log "ours: $iters steps"
ours_train ours "$iters" "$threads" "$eval_batches"
tail -n 3 "$folder/ours.log" >&2

log "PyTorch reference: $iters steps"
reference_train reference "$iters" "$threads" "$eval_batches"

log "re-scoring our final weights with the PyTorch model"
checkpoint="$folder/ours-run/checkpoints/$(cat "$folder/ours-run/checkpoints/latest")"
"$python" "$here/reference.py" --data "$bench_data_dir" --eval-checkpoint "$checkpoint" \
  --threads "$threads" --eval-batches "$eval_batches" --seed 1337 > "$folder/ours-crosscheck.json" 2>> "$folder/reference.log"

# The long runs above happen minutes apart, and the load of a shared machine drifts meanwhile; short runs taken
# in alternation, at THREADS and at 1 thread, show how much of the ratio the load explains. StepProfile runs the
# trainer's step outside the trainer twice: on the thread that built the model ("main") and, as Trainer does, on a
# thread started after building it ("new").
for t in $(printf '%s\n' "$threads" 1 | sort -u -r -n); do
  for p in $(seq 1 "$pairs"); do
    log "alternating short runs: $short_iters steps, $t threads, round $p"
    ours_train "pair-ours-t$t-p$p" "$short_iters" "$t" 1
    for mode in new main; do
      dotnet "$bench_out/stepprofile/StepProfile.dll" "$bench_data_dir" "$t" "$short_iters" 20 "$mode" > "$folder/pair-profile-$mode-t$t-p$p.json"
    done
    reference_train "pair-reference-t$t-p$p" "$short_iters" "$t" 1
  done
  log "op costs, $t threads"
  dotnet "$bench_out/stepprofile/StepProfile.dll" ops "$t" 200 > "$folder/ops-torchsharp-t$t.json"
  "$python" "$here/op_costs.py" --threads "$t" --reps 200 > "$folder/ops-pytorch-t$t.json"
done
log "done"

"$python" "$here/report.py" "$folder" | tee "$folder/table.md"
echo "(run folder: $folder)"
