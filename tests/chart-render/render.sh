#!/usr/bin/env bash
# Renders a Helm chart as Helm's engine does and decodes every manifest strictly into its Kubernetes API type.
#   tests/chart-render/render.sh CHART_DIR [--name RELEASE] [--namespace NS] [-f VALUES.yaml]... [--set key=value]... [--set-json key=JSON]... [--notes]
# Prints the manifests (or, with --notes, the rendered NOTES.txt) on stdout and exits 0; on an invalid manifest it
# names the template, the object and the field on stderr and exits 1.
# It builds itself on first use (a few seconds) from Debian's Go packages, offline, in GOPATH mode; the binary is
# cached under .cache/chart-render by the hash of its sources. Packages: scripts/setup.sh --tools.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="${CHART_RENDER_CACHE:-$repo/.cache/chart-render}"
gocode=/usr/share/gocode/src
hash=$(cat "$here"/*.go | sha256sum | cut -c1-16)
binary="$cache/bin/chart-render-$hash"

if [ ! -x "$binary" ]; then
  if ! command -v go >/dev/null 2>&1 || [ ! -d "$gocode/github.com/Masterminds/sprig" ] || [ ! -d "$gocode/k8s.io/api" ]; then
    echo "error: chart-render needs Go, sprig and the Kubernetes API types from Debian: run scripts/setup.sh --tools" >&2
    exit 2
  fi
  # sprig and semver are imported as .../v3 (their module paths); Debian installs them without the suffix.
  gopath="$cache/gopath"
  mkdir -p "$gopath/src/github.com/Masterminds/sprig" "$gopath/src/github.com/Masterminds/semver" "$cache/bin"
  ln -sfn "$gocode/github.com/Masterminds/sprig" "$gopath/src/github.com/Masterminds/sprig/v3"
  ln -sfn "$gocode/github.com/Masterminds/semver" "$gopath/src/github.com/Masterminds/semver/v3"
  partial=$(mktemp "$cache/bin/.chart-render.XXXXXX")
  (cd "$here" && GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$cache/go-build" GOFLAGS= GOTOOLCHAIN=local \
      go build -o "$partial" .) || { rm -f "$partial"; echo "error: building tests/chart-render failed (see above)" >&2; exit 2; }
  mv -f "$partial" "$binary"   # atomic: concurrent first uses each build, the last rename wins, every run sees a whole file
fi
exec "$binary" "$@"
