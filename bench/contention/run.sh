#!/usr/bin/env bash
# Training throughput on a shared machine. Ours (`orchestrator train`, with the threading policy it sets by default,
# and with libgomp's own defaults as before: GOMP_SPINCOUNT=300000) and the PyTorch reference
# (bench/babygpt/reference.py, Debian torch 1.13, OMP_WAIT_POLICY=PASSIVE as nanoGPT users run it) train the baby GPT
# (4 layers, 4 heads, 128 wide, block 64, batch 12, tinyshakespeare-char) for STEPS steps at THREADS threads: quiet,
# next to one busy process, one busy process per core, and one half-busy process (50 % duty cycle) per core. Rounds
# alternate the conditions and the order of the programs, so the load the machine has anyway falls on all of them.
# Prints a markdown table: median train tokens/s of each, its ratio to the same program's quiet runs, and ours / PyTorch.
# Usage: bench/contention/run.sh    env: STEPS (300), THREADS (2), ROUNDS (2),
#        PROGRAMS ("ours ours-libgomp-defaults pytorch"; also ours-passive: OMP_WAIT_POLICY=PASSIVE, ours-spin10k:
#        GOMP_SPINCOUNT=10000, the candidates the default was chosen from)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../babygpt/common.sh"

steps="${STEPS:-300}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-2}"
python=/usr/bin/python3
cores="$(nproc)"
folder="$bench_out/contention/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder"
log() { echo "[$(date -u +%H:%M:%S) load $(bench_load)] $*" | tee -a "$folder/log.txt" >&2; }

competitors=()
stop_competitors() {
  local pid
  for pid in "${competitors[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${competitors[@]}"; do wait "$pid" 2>/dev/null || true; done
  competitors=()
}
trap stop_competitors EXIT
trap "exit 143" TERM INT

start_competitors() { # CONDITION
  local n=0 duty=1.0 i
  case "$1" in
    quiet) n=0 ;;
    one-busy) n=1 ;;
    busy-per-core) n="$cores" ;;
    half-busy-per-core) n="$cores"; duty=0.5 ;;
  esac
  for ((i = 0; i < n; i++)); do
    "$python" "$here/busy.py" "$duty" &
    competitors+=("$!")
  done
  sleep 1
}

warmup=$(( steps / 10 > 0 ? steps / 10 : 1 ))

run_program() { # PROGRAM NAME
  case "$1" in
    ours|ours-passive|ours-spin10k|ours-libgomp-defaults)
      local env=()
      [ "$1" = ours-spin10k ] && env=(GOMP_SPINCOUNT=10000)
      [ "$1" = ours-libgomp-defaults ] && env=(GOMP_SPINCOUNT=300000)
      [ "$1" = ours-passive ] && env=(OMP_WAIT_POLICY=PASSIVE)
      env "${env[@]}" "${ORCH[@]}" train --data "$bench_data_dir" --out "$folder/$2-run" \
        --n-layer 4 --n-head 4 --n-embd 128 --block-size 64 --batch-size 12 --lr 1e-3 --min-lr 1e-4 \
        --max-steps "$steps" --warmup-steps "$warmup" --beta2 0.99 --dropout 0 --weight-decay 0.1 --grad-clip 1.0 \
        --threads "$threads" --eval-interval 0 --eval-batches 1 --checkpoint-interval 0 --log-interval 100 --seed 1337 \
        > "$folder/$2.json" 2> "$folder/$2.log"
      rm -rf "$folder/$2-run" ;;
    pytorch)
      "$python" "$here/../babygpt/reference.py" --data "$bench_data_dir" --iters "$steps" --warmup "$warmup" \
        --threads "$threads" --eval-batches 1 --seed 1337 > "$folder/$2.json" 2> "$folder/$2.log" ;;
  esac
}

log "building"
if [ -n "${CLI_DLL:-}" ]; then ORCH=(dotnet "$CLI_DLL"); else bench_cli; fi  # CLI_DLL: an orchestrator.dll already built
bench_data
read -r -a programs <<< "${PROGRAMS:-ours ours-libgomp-defaults pytorch}"
conditions=(quiet one-busy busy-per-core half-busy-per-core)
for ((r = 1; r <= rounds; r++)); do
  order=("${programs[@]}")
  if (( r % 2 == 0 )); then order=(); for ((i = ${#programs[@]} - 1; i >= 0; i--)); do order+=("${programs[$i]}"); done; fi
  for condition in "${conditions[@]}"; do
    start_competitors "$condition"
    for program in "${order[@]}"; do
      log "round $r, $condition: $program"
      run_program "$program" "$program-$condition-r$r"
    done
    stop_competitors
  done
done
log "done"
"$python" "$here/report.py" "$folder" "$steps" "$threads" "$cores" "${programs[@]}" | tee "$folder/table.md"
