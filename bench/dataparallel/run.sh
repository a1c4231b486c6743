#!/usr/bin/env bash
# Data-parallel efficiency and communication overlap on this machine, baby-GPT config (as bench/babygpt).
#  1. `orchestrator train` three ways, same global batch of 12 sequences:
#       --workers 1 --threads 2 --batch-size 12
#       --workers 2 --threads 1 --batch-size 6 --overlap true
#       --workers 2 --threads 1 --batch-size 6 --overlap false
#     and, for the scaling efficiency proper, one worker of the two alone: --workers 1 --threads 1 --batch-size 6.
#     tokens/s from RUN/metrics.jsonl, leaving out the first third of the steps (start-up, JIT); efficiency = 2 workers / 1.
#  2. OverlapProbe (this folder): the same 2-rank training, with each gradient exchange timed from the trainer's side,
#     overlap off then on: all-reduce time, the part of it the step still waits for, and the step period.
# Everything is repeated REPEATS times in alternating order; the tables show medians. Runs kept in bench/out/dataparallel/STAMP.
# Usage: bench/dataparallel/run.sh          STEPS (300), REPEATS (3) to change the length.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../babygpt/common.sh"

steps="${STEPS:-300}"
repeats="${REPEATS:-3}"
log_interval=25
# Two-worker runs need about 75 steps before their throughput settles (worker start-up, JIT of the gRPC path).
skip=$(( steps / 3 > log_interval ? steps / 3 : log_interval ))
python=/usr/bin/python3

folder="$bench_out/dataparallel/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder"
log() { echo "[$(date -u +%H:%M:%S) load $(bench_load)] $*" | tee -a "$folder/loads.txt" >&2; }

log "building"
bench_cli
bench_data
bench_build "$here/OverlapProbe/OverlapProbe.csproj" "$bench_out/overlapprobe"
echo "{\"steps\": $steps, \"repeats\": $repeats, \"skip\": $skip, \"log_interval\": $log_interval, \"commit\": \"$bench_commit\"}" > "$folder/config.json"

train() { # NAME WORKERS THREADS BATCH OVERLAP
  local run="$folder/$1"
  log "train $1: --workers $2 --threads $3 --batch-size $4 --overlap $5"
  "${ORCH[@]}" train --data "$bench_data_dir" --out "$run" --workers "$2" --threads "$3" --batch-size "$4" --overlap "$5" \
    --n-layer 4 --n-head 4 --n-embd 128 --block-size 64 --lr 1e-3 --min-lr 1e-4 --max-steps "$steps" \
    --warmup-steps $(( steps / 10 )) --beta2 0.99 --dropout 0 --eval-interval 0 --eval-batches 1 \
    --checkpoint-interval 0 --log-interval "$log_interval" --seed 1337 > "$run.json" 2> "$run.log"
}

probe() { # NAME OVERLAP
  log "probe $1: 2 ranks, --overlap $2"
  dotnet "$bench_out/overlapprobe/OverlapProbe.dll" --data "$bench_data_dir" --run "$folder/$1-run" --steps "$steps" \
    --skip "$skip" --overlap "$2" --world 2 --threads 1 --batch-size 6 > "$folder/$1.json" 2> "$folder/$1.log"
}

for r in $(seq 1 "$repeats"); do
  if (( r % 2 == 1 )); then
    train "w1-r$r" 1 2 12 true; train "w1-half-r$r" 1 1 6 true
    train "w2-overlap-r$r" 2 1 6 true; train "w2-sequential-r$r" 2 1 6 false
    probe "probe-sequential-r$r" false; probe "probe-overlap-r$r" true
  else
    probe "probe-overlap-r$r" true; probe "probe-sequential-r$r" false
    train "w2-sequential-r$r" 2 1 6 false; train "w2-overlap-r$r" 2 1 6 true
    train "w1-half-r$r" 1 1 6 true; train "w1-r$r" 1 2 12 true
  fi
done
log "done"

"$python" "$here/report.py" "$folder" | tee "$folder/table.md"
echo "(run folder: $folder)"
