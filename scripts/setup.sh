#!/usr/bin/env bash
# One-time, idempotent machine set-up shared by both README commands.
# - Ensures libstdc++ offers GLIBCXX_3.4.32 (TorchSharp 0.107's native libtorch needs GCC 13+'s runtime).
#   On Debian 12 (bookworm) it installs libstdc++6 from Debian trixie behind a low apt pin, so nothing
#   else on the system is upgraded. Ubuntu 24.04 and Debian 13 already satisfy it.
# - With --tools, installs the Debian packages the tests and benchmarks drive as real peers, and the Go packages
#   tests/chart-render builds from (from trixie on Debian 12).
# Quick (well under a second) when nothing is missing.
set -euo pipefail

want_tools=0
for arg in "$@"; do
  case "$arg" in
    --tools) want_tools=1 ;;
    *) echo "setup.sh: unknown argument '$arg' (expected --tools)" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "setup.sh: root or sudo is needed to install packages" >&2; exit 1; fi
fi

libstdcxx_path() {
  local p
  p=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF; exit}')
  [ -n "$p" ] || p=$(ls /usr/lib/*-linux-gnu/libstdc++.so.6 2>/dev/null | head -n1)
  echo "$p"
}

# Debian 12: Debian trixie as an extra apt source behind a low pin, so only what is asked for with -t trixie comes from it.
trixie_sources=/etc/apt/sources.list.d/trixie.sources
add_trixie_source() {
  if [ ! -f "$trixie_sources" ]; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | "${sudo_cmd[@]}" tee "$trixie_sources" >/dev/null
  fi
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' \
    | "${sudo_cmd[@]}" tee /etc/apt/preferences.d/99-trixie-low >/dev/null
  "${sudo_cmd[@]}" apt-get update -qq
}

has_glibcxx_3_4_32() {
  local lib; lib=$(libstdcxx_path)
  [ -n "$lib" ] && grep -aq 'GLIBCXX_3\.4\.32' "$lib"
}

if ! has_glibcxx_3_4_32; then
  . /etc/os-release
  if [ "${ID:-}" = "debian" ] && [ "${VERSION_ID:-}" = "12" ]; then
    echo "setup: libstdc++ lacks GLIBCXX_3.4.32 (needed by TorchSharp 0.107); installing libstdc++6 from Debian trixie (pinned low)"
    add_trixie_source
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq -t trixie libstdc++6 >/dev/null
    has_glibcxx_3_4_32 || { echo "setup: libstdc++6 from trixie installed but GLIBCXX_3.4.32 still missing" >&2; exit 1; }
  else
    echo "setup: libstdc++ at '$(libstdcxx_path)' lacks GLIBCXX_3.4.32, which TorchSharp 0.107 needs." >&2
    echo "       Install libstdc++6 from GCC 13 or newer (Ubuntu 24.04 and Debian 13 ship it), then re-run." >&2
    exit 1
  fi
fi

if [ "$want_tools" = 1 ]; then
  # Real peers for tests and benchmarks: PyTorch reference, Prometheus/promtool, Redis, iperf3.
  pkgs=(python3-torch libopenblas0-pthread prometheus redis-server iperf3 chromium docker-compose)
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi

  # tests/chart-render (the Helm chart rendered by Go's text/template + sprig and checked against the Kubernetes API
  # types) builds offline from these. Debian 12's are too old (no k8s.io/api, Go 1.19), so there they come from trixie.
  go_pkgs=(golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev golang-k8s-api-dev golang-k8s-apimachinery-dev
           golang-k8s-sigs-yaml-dev golang-k8s-sigs-json-dev)
  missing=()
  for p in "${go_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    . /etc/os-release
    from=()
    if [ "${ID:-}" = "debian" ] && [ "${VERSION_ID:-}" = "12" ]; then add_trixie_source; fi
    if [ -f "$trixie_sources" ]; then from=(-t trixie); else "${sudo_cmd[@]}" apt-get update -qq; fi
    echo "setup: installing ${missing[*]}${from[*]:+ from trixie}"
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${from[@]}" "${missing[@]}" >/dev/null
  fi
fi
