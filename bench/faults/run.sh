#!/usr/bin/env bash
# Fault injection: one training job driven through a random series of faults, compared with the same job unfaulted.
#  1. Starts a real cluster on loopback: `orchestrator coordinator` (durable state directory, 5 s liveness timeout)
#     and `orchestrator worker` processes, one libtorch thread each.
#  2. Runs the reference job (3 workers, no faults) to completion.
#  3. Runs the same job (same seed, 3 workers, min 2, max 4) and, every GAP steps, injects one fault drawn at random:
#       kill9      SIGKILL a member worker; a replacement worker starts 3 s later
#       hang       SIGSTOP a member worker (alive but silent); once the coordinator has noticed, it is killed and replaced
#       coord      SIGKILL the coordinator; a new one starts on the same ports and state directory 2 s later
#       corrupt    freeze the workers, flip bytes in the latest checkpoint's weights, SIGKILL a member and thaw the
#                  others, so recovery must find the damage and fall back to the checkpoint before
#       join       start one more worker (admitted at the next checkpoint, up to max_workers)
#     in a random order that meets every kind once per round of five.
#  4. Prints one row per fault (step injected, seconds until the job was Running again) and the summary: faults
#     survived, steps lost (trained twice after going back to a checkpoint, from metrics.jsonl), final validation loss
#     against the unfaulted run.
# Usage: bench/faults/run.sh [SEED]      FAULTS (6), STEPS (400), GAP (40) to change the length.
# Everything is kept in bench/out/faults/STAMP (process logs, runs, faults.tsv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../babygpt/common.sh"

seed="${1:-$(date +%s)}"
faults="${FAULTS:-6}"
steps="${STEPS:-400}"
gap="${GAP:-40}"
checkpoint_interval=25
python=/usr/bin/python3
RANDOM=$seed

folder="$bench_out/faults/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder/logs"
log() { echo "[$(date -u +%H:%M:%S) load $(bench_load)] $*" | tee -a "$folder/events.txt" >&2; }

log "building (seed $seed, $faults faults, $steps steps)"
bench_cli
bench_data

read -r silo gateway control health < <($python - <<'EOF'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()
EOF
)
coordinator_pid=""
declare -A worker_pids=()
next_worker=0
cleanup() {
  for pid in "${worker_pids[@]}" $coordinator_pid; do kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

start_coordinator() {
  Orchestrator__Jobs__WorkerLivenessTimeout=00:00:05 Orchestrator__Jobs__MonitorInterval=00:00:00.500 \
    "${ORCH[@]}" coordinator --silo-port "$silo" --gateway-port "$gateway" --control-port "$control" --health-port "$health" \
    --state-dir "$folder/coordinator-state" >> "$folder/logs/coordinator.log" 2>&1 &
  coordinator_pid=$!
  until curl -sf "http://127.0.0.1:$health/healthz" > /dev/null; do sleep 0.5; done
}

start_worker() {
  local id="w$next_worker"
  next_worker=$(( next_worker + 1 ))
  "${ORCH[@]}" worker --coordinator "127.0.0.1:$gateway" --worker-id "$id" --threads 1 >> "$folder/logs/$id.log" 2>&1 &
  worker_pids[$id]=$!
  log "started worker $id (pid ${worker_pids[$id]})"
}

# Job state from the coordinator's Prometheus endpoint (cheap to poll; refreshed every 2 s); "" while it restarts.
job_state() {
  curl -sf "http://127.0.0.1:$health/metrics" 2>/dev/null \
    | grep "^orchestrator_job_state{.*job_id=\"$1\"" | grep ' 1$' | sed 's/.*state="\([A-Za-z]*\)".*/\1/' | head -1 || true
}

last_step() { # RUN_DIR: highest step in metrics.jsonl so far
  [ -f "$1/metrics.jsonl" ] || { echo 0; return; }
  $python -c 'import json,sys; print(max([json.loads(l)["step"] for l in open(sys.argv[1]) if "\"train\"" in l] or [0]))' "$1/metrics.jsonl"
}

members() { # JOB: worker ids of the job's current members (from the coordinator's status table)
  "${ORCH[@]}" status --coordinator "127.0.0.1:$control" 2>/dev/null | awk -v job="$1" '$3 == job { print $1 }'
}

submit() { # JOB_ID RUN_DIR
  cat > "$folder/$1.json" <<EOF
{ "job_id": "$1", "data": "$bench_data_dir", "run_dir": "$2", "workers": 3, "min_workers": 2, "max_workers": 4,
  "max_restarts": 20,
  "config": {
    "model": { "model": "gpt", "n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 64, "dropout": 0.0 },
    "training": { "batch_size": 8, "max_steps": $steps, "learning_rate": 3e-3, "warmup_steps": 20, "seed": 1337,
                  "eval_interval": $steps, "eval_batches": 20, "checkpoint_interval": $checkpoint_interval,
                  "log_interval": 1, "threads": 1, "keep_last_checkpoints": 3 } } }
EOF
  "${ORCH[@]}" submit "$folder/$1.json" --coordinator "127.0.0.1:$control" >&2
}

wait_for_state() { # JOB STATE TIMEOUT_S
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(job_state "$1")" != "$2" ]; do
    if (( $(date +%s) > deadline )); then log "timed out waiting for $1 to be $2 (is '$(job_state "$1")')"; return 1; fi
    sleep 0.5
  done
}

wait_for_step() { # RUN_DIR STEP TIMEOUT_S
  local deadline=$(( $(date +%s) + $3 ))
  while (( $(last_step "$1") < $2 )); do
    if (( $(date +%s) > deadline )); then log "timed out waiting for step $2 in $1"; return 1; fi
    sleep 1
  done
}

pick_member() { # JOB: one live member's worker id, at random
  local ids=($(members "$1"))
  (( ${#ids[@]} > 0 )) || return 1
  echo "${ids[RANDOM % ${#ids[@]}]}"
}

start_coordinator
for _ in 1 2 3 4; do start_worker; done

log "reference job: 3 workers, no faults"
reference="$folder/reference"
submit reference "$reference"
wait_for_state reference Completed 1800
log "reference completed"

faulted="$folder/faulted"
log "faulted job: 3 workers (min 2, max 4), $faults faults every $gap steps"
submit faulted "$faulted"
wait_for_state faulted Running 300
kinds=(kill9 hang coord corrupt join)
# A random order in which every kind comes once per round of five (so a short series still meets each fault).
series=()
while (( ${#series[@]} < faults )); do
  round=("${kinds[@]}")
  for (( i = ${#round[@]} - 1; i > 0; i-- )); do j=$(( RANDOM % (i + 1) )); t="${round[i]}"; round[i]="${round[j]}"; round[j]="$t"; done
  series+=("${round[@]}")
done
printf "fault\tkind\ttarget\tstep\tseconds_to_running\n" > "$folder/faults.tsv"
for f in $(seq 1 "$faults"); do
  target_step=$(( f * gap ))
  (( target_step < steps - checkpoint_interval )) || { log "no room for fault $f before the end"; break; }
  wait_for_step "$faulted" "$target_step" 900
  kind="${series[f - 1]}"
  at=$(last_step "$faulted")
  started=$(date +%s.%N)
  target="-"
  case "$kind" in
    kill9)
      target=$(pick_member faulted); kill -9 "${worker_pids[$target]}"; unset "worker_pids[$target]"
      log "fault $f: kill -9 $target at step $at"; sleep 3; start_worker ;;
    hang)
      target=$(pick_member faulted); kill -STOP "${worker_pids[$target]}"
      log "fault $f: SIGSTOP $target at step $at"
      wait_for_state faulted Recovering 120 || wait_for_state faulted Forming 60 || true
      kill -9 "${worker_pids[$target]}"; unset "worker_pids[$target]"; start_worker ;;
    coord)
      kill -9 "$coordinator_pid"; log "fault $f: kill -9 coordinator at step $at"; sleep 2; start_coordinator ;;
    corrupt)
      # Freeze every worker first, so no newer checkpoint can appear between the corruption and the kill.
      target=$(pick_member faulted)
      for pid in "${worker_pids[@]}"; do kill -STOP "$pid"; done
      latest="$faulted/checkpoints/$(cat "$faulted/checkpoints/latest")"
      printf '\xde\xad\xbe\xef' | dd of="$latest/model.safetensors" bs=1 seek=4096 conv=notrunc status=none
      kill -9 "${worker_pids[$target]}"; unset "worker_pids[$target]"
      for pid in "${worker_pids[@]}"; do kill -CONT "$pid"; done
      log "fault $f: corrupted $(basename "$latest") and kill -9 $target at step $at"; sleep 3; start_worker ;;
    join)
      start_worker; target="w$(( next_worker - 1 ))"; log "fault $f: $target joins at step $at" ;;
  esac
  sleep 1
  wait_for_state faulted Running 300
  back=$($python -c "import time; print(f'{time.time() - $started:.1f}')")
  [ "$kind" = join ] && back="-"  # a joining worker waits for the next checkpoint; the job never stopped
  printf "%s\t%s\t%s\t%s\t%s\n" "$f" "$kind" "$target" "$at" "$back" >> "$folder/faults.tsv"
done
survived=yes
wait_for_state faulted Completed 1800 || survived=no
log "faulted job: completed=$survived"

$python - "$folder" "$survived" "$seed" <<'EOF'
import json, sys, csv
folder, survived, seed = sys.argv[1], sys.argv[2] == "yes", sys.argv[3]
def rows(run):
    return [json.loads(l) for l in open(f"{folder}/{run}/metrics.jsonl")]
def lost(run):
    previous = total = 0
    restarts = []
    for r in rows(run):
        if r["kind"] != "train": continue
        if r["step"] <= previous:
            total += previous - (r["step"] - 1); restarts.append((previous, r["step"] - 1))
        previous = r["step"]
    return total, restarts
def val(run):
    evals = [r for r in rows(run) if r["kind"] == "eval"]
    return evals[-1]["loss"] if evals else float("nan")
faults = list(csv.DictReader(open(f"{folder}/faults.tsv"), delimiter="\t"))
total, restarts = lost("faulted")
print(f"| # | fault | target | injected at step | seconds until Running again |")
print(f"|---:|---|---|---:|---:|")
for f in faults:
    print(f"| {f['fault']} | {f['kind']} | {f['target']} | {f['step']} | {f['seconds_to_running']} |")
print()
print(f"| seed | faults injected | job completed | recoveries from a checkpoint (highest step -> resumed from) | steps lost | final val loss | unfaulted val loss | ratio |")
print(f"|---:|---:|---|---|---:|---:|---:|---:|")
ref, got = val("reference"), val("faulted")
print(f"| {seed} | {len(faults)} | {'yes' if survived else 'NO'} | {', '.join(f'{a}->{b}' for a, b in restarts) or '-'} | {total} | {got:.4f} | {ref:.4f} | {got / ref:.4f} |")
EOF
log "done: $folder"
