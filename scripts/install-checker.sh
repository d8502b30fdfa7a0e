#!/usr/bin/env bash
# Builds the linearizability checker (test/linearizability/checker: porcupine, the checker etcd's
# robustness tests use, over a recorded JSON history) from the Go module proxy. Cached outside the repo,
# keyed by the porcupine version and the checker's own source:
#   ${KEYLESS_CACHE:-~/.cache/keyless}/linearizability-checker-<porcupine>-<hash>/checker
# Prints the checker's path on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../test/linearizability/checker"

say() { printf '[install-checker] %s\n' "$*" >&2; }
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:$PATH"; fi
if ! command -v go >/dev/null 2>&1; then
  say "ERROR: 'go' was not found on PATH; the checker is built from the Go module proxy and needs Go >= 1.26."
  exit 3
fi

porcupine="$(awk '$1 == "require" && $2 == "github.com/anishathalye/porcupine" { print $3 }' go.mod)"
hash="$(cat go.mod go.sum main.go | sha256sum | cut -c1-12)"
CACHE_ROOT="${KEYLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyless}"
dir="$CACHE_ROOT/linearizability-checker-$porcupine-$hash"
if [[ -x "$dir/checker" ]]; then
  say "using cached checker (porcupine $porcupine): $dir/checker"
  echo "$dir/checker"
  exit 0
fi
say "building the checker with porcupine $porcupine from the Go module proxy"
mkdir -p "$CACHE_ROOT"
tmp="$(mktemp -d "$CACHE_ROOT/checker.XXXXXX")"
CGO_ENABLED=0 go build -trimpath -o "$tmp/checker" . >&2
rm -rf "$dir" && mv "$tmp" "$dir"
say "checker ready: $dir/checker"
echo "$dir/checker"
