#!/usr/bin/env bash
# The data plane against the link it runs on: hosts are network namespaces of scripts/cluster-in-a-box.sh, joined by
# tbf-limited links, so the ring crosses real (if emulated) links instead of loopback.
#  1. iperf3 from h1 to h2 at each link rate: what the link really carries (one TCP stream, 5 s).
#  2. Ring all-reduce (bench/allreduce/AllReduceBench, its ranks inside the hosts) for each host count and size:
#     algbw, busbw = algbw x 2(N-1)/N, busbw / iperf3 and CPU s per GB carried, once per channel count per link.
#  3. Data-parallel training with a real coordinator (in "coord") and workers (one per host) of the baby GPT
#     (4 layers, 4 heads, 128 wide) and a 6-layer, 6-head, 384-wide GPT, both block 64, global batch 12, on 1 host and
#     on each host count: tokens/s, rank 0's exposed all-reduce wait per step, its share of the step, hidden fraction.
#     The hosts share this machine's cores, so compute does not scale with hosts: read what the link costs.
# Prints markdown tables; writes bench/out/multihost/latest.json (one object per all-reduce row) and keeps everything
# in bench/out/multihost/STAMP.
# Usage: bench/multihost/run.sh    environment: HOSTS (2,4), LINK_MBIT (1000,200), SIZES_MIB (4,16,64),
#        CHANNELS (1,2,4: Collective:ChannelsPerLink values to compare), CHUNK_BYTES (the collective's default),
#        TRAIN (1; 0 skips part 3), BABY_STEPS (60), SIX_STEPS (16).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../babygpt/common.sh"
[ "$(id -u)" = 0 ] || { echo "bench/multihost: needs root (network namespaces); run it with sudo" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "bench/multihost: iperf3 is not installed (apt-get install iperf3)" >&2; exit 1; }

hosts_list="${HOSTS:-2,4}"
rates="${LINK_MBIT:-1000,200}"
sizes="${SIZES_MIB:-4,16,64}"
channels="${CHANNELS:-1,2,4}"
train="${TRAIN:-1}"
baby_steps="${BABY_STEPS:-60}"
six_steps="${SIX_STEPS:-16}"
python=/usr/bin/python3
box_script="$bench_root/scripts/cluster-in-a-box.sh"
box="mb$$"
max_hosts=$(tr ',' '\n' <<< "$hosts_list" | sort -n | tail -1)
folder="$bench_out/multihost/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder"
log() { echo "[$(date -u +%H:%M:%S) load $(bench_load)] $*" | tee -a "$folder/loads.txt" >&2; }
in_box() { local host="$1"; shift; "$box_script" exec --name "$box" "$host" -- "$@"; }
trap '"$box_script" down --name "$box" >/dev/null 2>&1 || true' EXIT
trap 'exit 143' TERM INT

log "building"
bench_cli
bench_data
bench_build "$bench_root/bench/allreduce/AllReduceBench/AllReduceBench.csproj" "$bench_out/multihost-allreduce"
chunk_args=()
[ -n "${CHUNK_BYTES:-}" ] && chunk_args=(--chunk-bytes "$CHUNK_BYTES")
echo "{\"hosts\": \"$hosts_list\", \"link_mbit\": \"$rates\", \"sizes_mib\": \"$sizes\", \"commit\": \"$bench_commit\", \"chunk_bytes\": \"${CHUNK_BYTES:-default}\", \"channels\": \"$channels\", \"baby_steps\": $baby_steps, \"six_steps\": $six_steps}" > "$folder/config.json"

coordinator_address=""
wait_for_job() { # JOB: polls `status --json` from the coordinator's namespace until the job ends
  local state
  while true; do
    state="$(in_box coord "${ORCH[@]}" status "$1" --coordinator "$coordinator_address:5050" --json 2>/dev/null \
      | "$python" -c 'import json,sys; print(json.loads(sys.stdin.readline())["State"])' 2>/dev/null || echo unknown)"
    case "$state" in
      Completed) return 0 ;;
      Failed|Cancelled) log "job $1 ended $state"; return 1 ;;
    esac
    sleep 2
  done
}

train_job() { # RATE MODEL HOSTS LAYERS HEADS WIDTH STEPS
  local id="$1-$2-$3" run="$folder/train-$1-$2-$3"
  cat > "$folder/$id.json" <<JOB
{"job_id": "$id", "data": "$bench_data_dir", "run_dir": "$run", "workers": $3,
 "config": {"model": {"model": "gpt", "n_layer": $4, "n_head": $5, "n_embd": $6, "block_size": 64, "dropout": 0.0},
            "training": {"batch_size": $(( 12 / $3 )), "global_batch_size": 12, "max_steps": $7, "learning_rate": 1e-3,
                         "warmup_steps": 0, "eval_interval": 0, "eval_batches": 1, "checkpoint_interval": 0,
                         "log_interval": $(( $7 / 4 )), "threads": 1, "seed": 1337}}}
JOB
  log "train $id: $3 host(s), $4 layers x $6, $7 steps"
  in_box h1 "${ORCH[@]}" submit "$folder/$id.json" --coordinator "$coordinator_address:5050" >&2
  wait_for_job "$id"
}

IFS=',' read -r -a rate_list <<< "$rates"
IFS=',' read -r -a host_counts <<< "$hosts_list"
IFS=',' read -r -a channel_counts <<< "$channels"
for rate in "${rate_list[@]}"; do
  log "box: $max_hosts hosts at $rate Mbit/s"
  "$box_script" up --hosts "$max_hosts" --link-mbit "$rate" --name "$box" > "$folder/box-$rate.txt"
  h2_address="$("$box_script" addr --name "$box" h2)"
  in_box h2 iperf3 --server --port 5201 --one-off > /dev/null 2>&1 &
  sleep 1
  in_box h1 iperf3 --client "$h2_address" --port 5201 --time 5 --json > "$folder/iperf-$rate.json"
  wait || true
  log "iperf3 at $rate Mbit/s: $("$python" -c "import json; print(round(json.load(open('$folder/iperf-$rate.json'))['end']['sum_received']['bits_per_second']/1e9, 3))") Gbit/s"

  for ch in "${channel_counts[@]}"; do
    log "all-reduce at $rate Mbit/s, $ch channel(s) per link: hosts $hosts_list, sizes $sizes MiB"
    dotnet "$bench_out/multihost-allreduce/AllReduceBench.dll" --box "$box" --box-script "$box_script" --world "$hosts_list" \
      --sizes-mib "$sizes" --seconds 4 --channels "$ch" --iperf-json "$folder/iperf-$rate.json" \
      --json "$folder/allreduce-$rate-c$ch.json" ${chunk_args[@]+"${chunk_args[@]}"} \
      > "$folder/allreduce-$rate-c$ch.md" 2> "$folder/allreduce-$rate-c$ch.log"
  done

  if [ "$train" = 1 ]; then
    coordinator_address="$("$box_script" addr --name "$box" coord)"
    in_box coord "${ORCH[@]}" coordinator --advertise "$coordinator_address" --state-dir "$folder/coordinator-$rate" \
      > "$folder/coordinator-$rate.log" 2>&1 &
    until in_box coord "${ORCH[@]}" status --coordinator "$coordinator_address:5050" > /dev/null 2>&1; do sleep 2; done
    for ((i = 1; i <= max_hosts; i++)); do
      in_box "h$i" "${ORCH[@]}" worker --coordinator "$coordinator_address:30000" --worker-id "h$i" --threads 1 \
        --advertise-host "$("$box_script" addr --name "$box" "h$i")" > "$folder/worker-$rate-h$i.log" 2>&1 &
    done
    for n in 1 "${host_counts[@]}"; do
      train_job "$rate" baby "$n" 4 4 128 "$baby_steps"
      train_job "$rate" six "$n" 6 6 384 "$six_steps"
    done
  fi
  log "box down"
  "$box_script" down --name "$box"
  wait 2>/dev/null || true
done

"$python" "$here/report.py" "$folder" "$bench_out/multihost/latest.json"
log "done: $folder"
