#!/usr/bin/env bash
# The test command (README, .ci/run): machine set-up plus the peers the tests drive for real
# (python3-torch for PyTorch cross-checks, prometheus, redis-server, iperf3), then the whole suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" --tools
cd "$root"
dotnet test Orchestrator.sln -c Release --logger "console;verbosity=normal" "$@"
