#!/usr/bin/env bash
# All-reduce bandwidth on loopback, against iperf3's single-stream TCP throughput on the same loopback.
# Usage: bench/allreduce/run.sh [AllReduceBench flags: --world 2,4 --sizes-mib 1,4,16,64,256 --chunk-bytes N --channels N --bf16 --seconds S]
# Prints the chunk codec cost, the bare gRPC stream ceiling and a markdown table with CPU s per GB carried
# (pass --markdown FILE to also write them to a file).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"; [ -n "${iperf_pid:-}" ] && kill "$iperf_pid" 2>/dev/null || true' EXIT

command -v iperf3 >/dev/null || { echo "run.sh: iperf3 is not installed (apt-get install iperf3)" >&2; exit 1; }
port=$(( 20000 + RANDOM % 20000 ))
iperf3 --server --port "$port" --one-off >/dev/null 2>&1 &
iperf_pid=$!
sleep 1
iperf3 --client 127.0.0.1 --port "$port" --time 5 --json > "$out/iperf.json"
wait "$iperf_pid" || true
iperf_pid=

dotnet build "$here/AllReduceBench/AllReduceBench.csproj" -c Release -o "$out/bin" -nologo -v quiet >&2
dotnet "$out/bin/AllReduceBench.dll" --iperf-json "$out/iperf.json" "$@"
