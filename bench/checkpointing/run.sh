#!/usr/bin/env bash
# How long a checkpoint holds up training: baby-GPT shape (6 x 384, ~10.7M parameters, tinyshakespeare char vocab).
# Snapshot on the training thread vs the files written in the background, isolated (REPEATS times, medians) and inside
# a real run (STEPS steps with a checkpoint every 2, against the same run without checkpoints). See
# CheckpointStall/Program.cs. Prints markdown tables and keeps them in bench/out/checkpointing/STAMP.md.
# Usage: bench/checkpointing/run.sh     REPEATS (7), THREADS (2), STEPS (16)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../babygpt/common.sh"

folder="$bench_out/checkpointing/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder"
if [ ! -f "$bench_out/shakespeare-char/meta.json" ]; then
  bench_cli
  bench_data
fi
bench_build "$here/CheckpointStall/CheckpointStall.csproj" "$bench_out/checkpointstall"
echo "[$(date -u +%H:%M:%S) load $(bench_load)] measuring" >&2
dotnet "$bench_out/checkpointstall/CheckpointStall.dll" "$bench_out/shakespeare-char" "$folder/runs" \
  "${REPEATS:-7}" "${THREADS:-2}" "${STEPS:-16}" | tee "$folder/results.md"
rm -rf "$folder/runs"
echo "load after: $(bench_load)" | tee -a "$folder/results.md"
