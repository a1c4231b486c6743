#!/usr/bin/env bash
# The test command (README, .ci/run): machine set-up plus the peers the tests drive for real
# (python3-torch for PyTorch cross-checks, prometheus, redis-server, iperf3), then the whole suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" --tools
cd "$root"
# CI runs as root: the multi-host tests (network namespaces) must run, not skip.
export ORCHESTRATOR_REQUIRE_NETNS=1
dotnet test Orchestrator.sln -c Release --logger "console;verbosity=normal" "$@"
# The numeric tests again on oneDNN's AVX2 kernels (libtorch picks kernels by CPU, so an AVX-512 machine never runs the
# ones an AVX2-only machine does; oneDNN's LSTM once gave wrong answers on one level only: see LstmLayers).
for project in Models Training; do
  ONEDNN_MAX_CPU_ISA=AVX2 dotnet test "tests/Orchestrator.$project.Tests" -c Release --no-build --logger "console;verbosity=normal" "$@"
done
