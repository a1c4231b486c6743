# Shared by bench/babygpt/run.sh and bench/dataparallel/run.sh (sourced, not run).
# - bench_cli: builds the CLI through ./orchestrator (only when sources changed) and runs every training of the
#   benchmark from a private copy of it (bench/out/cli), so another engineer's rebuild of .artifacts/cli can neither
#   replace assemblies under a running benchmark nor mix two builds in one table. Sets ORCH=(dotnet .../orchestrator.dll).
# - bench_data: tinyshakespeare, char tokenizer, split as nanoGPT does (first 90% train, the rest val; our prepare
#   needs a non-empty test split, so its last 0.01% is test), prepared once into bench/out/shakespeare-char.
# - bench_build PROJECT OUT: dotnet build in Release, retried (others build the same src projects concurrently).
# - bench_load: the 1/5/15-minute load averages, for the record.
bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench_out="$bench_root/bench/out"
mkdir -p "$bench_out"

bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

bench_build() {
  local project="$1" out="$2" attempt
  for attempt in 1 2 3; do
    if dotnet build "$project" -c Release -o "$out" -nologo -v quiet -clp:ErrorsOnly >&2; then return 0; fi
    echo "bench: build of $project failed (attempt $attempt); retrying in 30 s" >&2
    sleep 30
  done
  return 1
}

bench_cli() {
  local attempt
  for attempt in 1 2 3; do
    if "$bench_root/orchestrator" --help >/dev/null; then break; fi
    [ "$attempt" = 3 ] && { echo "bench: ./orchestrator does not build" >&2; return 1; }
    echo "bench: ./orchestrator build failed (attempt $attempt); retrying in 30 s" >&2
    sleep 30
  done
  local snapshot="$bench_out/cli"
  rm -rf "$snapshot"
  mkdir -p "$snapshot"
  # 23 MB of managed assemblies copied; the 1 GB of native libtorch is linked (builds never rewrite it).
  find "$bench_root/.artifacts/cli" -mindepth 1 -maxdepth 1 ! -name runtimes -exec cp -r {} "$snapshot/" \;
  ln -s "$bench_root/.artifacts/cli/runtimes" "$snapshot/runtimes"
  ORCH=(dotnet "$snapshot/orchestrator.dll")
  bench_commit="$(git -C "$bench_root" rev-parse --short HEAD)$(git -C "$bench_root" diff --quiet HEAD -- src || echo '+uncommitted src changes')"
}

bench_data() {
  bench_data_dir="$bench_out/shakespeare-char"
  if [ ! -f "$bench_data_dir/meta.json" ]; then
    "${ORCH[@]}" prepare --input "$bench_root/../shared/data/tinyshakespeare.txt" --tokenizer char \
      --out "$bench_data_dir" --val-fraction 0.0999 --test-fraction 0.0001 >&2
  fi
}
