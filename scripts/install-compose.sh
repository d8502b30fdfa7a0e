#!/usr/bin/env bash
# Builds the Docker Compose CLI (v2) from the Go module proxy so the tests can check docker-compose.yml with
# `docker compose config` without a Docker engine. Cached in ${KEYLESS_CACHE:-~/.cache/keyless}/compose-<version>/.
# Prints the binary's path on stdout; progress goes to stderr.
set -euo pipefail
source "$(dirname "$0")/versions.sh"
COMPOSE_VERSION="${COMPOSE_VERSION:-$(pinned COMPOSE_VERSION)}"
CACHE_ROOT="${KEYLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyless}"
DIR="$CACHE_ROOT/compose-$COMPOSE_VERSION"
say() { printf '[install-compose] %s\n' "$*" >&2; }

if [[ -x "$DIR/docker-compose" ]]; then
  say "using cached docker compose $COMPOSE_VERSION"
  echo "$DIR/docker-compose"
  exit 0
fi
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  say "using the installed docker compose plugin"
  echo "docker-compose-plugin"
  exit 0
fi
command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null 2>&1; then
  say "ERROR: go is needed to build docker compose"; exit 3
fi
mkdir -p "$CACHE_ROOT"
tmp="$(mktemp -d "$CACHE_ROOT/compose.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
say "building docker compose v$COMPOSE_VERSION from the Go module proxy (a few minutes, once)"
CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath "github.com/docker/compose/v2/cmd@v$COMPOSE_VERSION" >&2
mkdir -p "$DIR"
mv "$tmp/cmd" "$DIR/docker-compose"
echo "$DIR/docker-compose"
