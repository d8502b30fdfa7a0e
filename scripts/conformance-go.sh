#!/usr/bin/env bash
# Dapr's own conformance suites (components-contrib tests/conformance, the version the pinned daprd pins)
# through daprd's pluggable adapters against the built keyless: state on SQLite and on Tables (Azurite),
# and the secret store suite. The Go module is test/conformance-go; modules come from the Go module
# proxy and share GOMODCACHE/GOCACHE with the daprd build, so a warm run only links and runs.
# Needs `npm run build` first (scripts/test.sh does it). Extra arguments go to the test binary,
# e.g. -test.run 'TestStateConformance/sqlite$'.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[conformance-go] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go "$HOME/go/bin/go" "$HOME/.local/go/bin/go"; do
    if [[ -x "$candidate" ]]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
  done
fi
command -v go >/dev/null 2>&1 || { say "ERROR: 'go' (>= 1.26.6) is not on PATH"; exit 3; }
[[ -f dist/src/main.js ]] || { say "ERROR: dist/src/main.js is missing; run 'npm run build' first"; exit 3; }

# The daprd build fills the same module and build caches; compiling beside it would only slow both.
CACHE_ROOT="${KEYLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyless}"
source scripts/versions.sh
DAPRD_DIR="$CACHE_ROOT/daprd-${DAPRD_VERSION:-$(pinned DAPRD_VERSION)}"
if ls -d "$CACHE_ROOT"/build.* >/dev/null 2>&1 && [[ ! -f "$DAPRD_DIR/.complete" ]]; then
  say "waiting for the daprd build in $CACHE_ROOT to finish"
  for _ in $(seq 120); do
    if [[ -f "$DAPRD_DIR/.complete" ]] || ! ls -d "$CACHE_ROOT"/build.* >/dev/null 2>&1; then break; fi
    sleep 10
  done
fi

OUT="$PWD/.test-tmp/conformance-go"
mkdir -p "$OUT"
say "compiling the suite (cached after the first run; the first takes a few minutes on 2 cores)"
( while sleep 30; do say "  ...still compiling ($(date +%H:%M:%S))"; done ) &
TICKER=$!
trap 'kill $TICKER 2>/dev/null || true' EXIT
(cd test/conformance-go && CGO_ENABLED=0 go test -c -trimpath -o "$OUT/conformance.test" .)
kill $TICKER 2>/dev/null || true

exec npx --no-install tsx test/conformance-go/run.ts "$OUT/conformance.test" "$@"
