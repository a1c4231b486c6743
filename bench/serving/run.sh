#!/usr/bin/env bash
# Serving benchmark: tokens/s decoding with a KV cache vs full recomputation at contexts 64, 256 and block_size, then
# aggregate tokens/s and time to first token for 1 and 8 concurrent streaming clients against a real server.
# Usage: bench/serving/run.sh [ServingBench flags: --checkpoint DIR --device cpu --threads N --contexts 64,256
#                              --repeats 5 --clients 8 --max-tokens 128 --rounds 3 --markdown FILE]
# Without --checkpoint it writes a baby-GPT-shaped checkpoint (10.8M parameters, block_size 1024, untrained weights)
# under bench/out/serving once and reuses it. Prints markdown tables.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/bench/out/serving"
mkdir -p "$out"
export SERVING_BENCH_CORPUS="${SERVING_BENCH_CORPUS:-$(cd "$root/.." && pwd)/shared/data/tinyshakespeare.txt}"
[ -f "$SERVING_BENCH_CORPUS" ] || { echo "run.sh: corpus '$SERVING_BENCH_CORPUS' not found (set SERVING_BENCH_CORPUS)" >&2; exit 1; }
dotnet build "$root/bench/serving/ServingBench/ServingBench.csproj" -c Release -o "$out/bin" -nologo -v quiet >&2
cd "$root"
dotnet "$out/bin/ServingBench.dll" "$@"
