#!/usr/bin/env bash
# Builds daprd (stable components flavour, CGO off) and, when the proxy serves it, the dapr CLI,
# from the Go module proxy. The result is cached outside the repo, keyed by version, so fresh
# clones on the same machine reuse it:
#   ${KEYLESS_CACHE:-~/.cache/keyless}/daprd-<version>/daprd
#   ${KEYLESS_CACHE:-~/.cache/keyless}/dapr-cli-<version>/dapr
# Prints the daprd path on stdout; progress goes to stderr.
#
# With --control-plane it builds Dapr's placement and scheduler services instead (what actors and
# workflows need), from the same wrapper module and version, and prints their folder:
#   ${KEYLESS_CACHE:-~/.cache/keyless}/dapr-control-plane-<version>/{placement,scheduler}
set -euo pipefail

source "$(dirname "$0")/versions.sh"
DAPRD_VERSION="${DAPRD_VERSION:-$(pinned DAPRD_VERSION)}"
DAPR_CLI_VERSION="${DAPR_CLI_VERSION:-$(pinned DAPR_CLI_VERSION)}"
CACHE_ROOT="${KEYLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyless}"
DAPRD_DIR="$CACHE_ROOT/daprd-$DAPRD_VERSION"
CLI_DIR="$CACHE_ROOT/dapr-cli-$DAPR_CLI_VERSION"
CONTROL_PLANE_DIR="$CACHE_ROOT/dapr-control-plane-$DAPRD_VERSION"
MODE=daprd
case "${1:-}" in
  "") ;;
  --control-plane) MODE=control-plane ;;
  *) printf '[install-daprd] ERROR: unknown argument "%s" (the only option is --control-plane)\n' "$1" >&2; exit 2 ;;
esac
TOTAL_STEPS=4
if [[ "$MODE" == control-plane ]]; then TOTAL_STEPS=3; fi

say() { printf '[install-daprd] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go "$HOME/go/bin/go" "$HOME/.local/go/bin/go"; do
    if [[ -x "$candidate" ]]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
  done
fi

build_cli() {
  if [[ -x "$CLI_DIR/dapr" ]]; then return 0; fi
  if [[ "${KEYLESS_SKIP_DAPR_CLI:-}" == "1" ]]; then return 0; fi
  # Remember a refusal so every run does not ask again; KEYLESS_RETRY_DAPR_CLI=1 asks anyway.
  if [[ -f "$CLI_DIR.unavailable" && "${KEYLESS_RETRY_DAPR_CLI:-}" != "1" ]]; then
    say "dapr CLI v$DAPR_CLI_VERSION: not available from the module proxy (cached answer; KEYLESS_RETRY_DAPR_CLI=1 retries)"
    return 0
  fi
  say "building the dapr CLI v$DAPR_CLI_VERSION (optional: tests do not need it)"
  local tmp; tmp="$(mktemp -d "$CACHE_ROOT/cli.XXXXXX")"
  # The CLI's binary is named after its module root ("cli"); it is renamed to "dapr".
  if CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath -ldflags "-s -w -X main.version=$DAPR_CLI_VERSION" \
    "github.com/dapr/cli@v$DAPR_CLI_VERSION" >"$tmp/build.log" 2>&1; then
    mkdir -p "$CLI_DIR" && mv "$tmp/cli" "$CLI_DIR/dapr"
    say "dapr CLI ready: $CLI_DIR/dapr"
  else
    say "WARNING: the Go module proxy did not serve github.com/dapr/cli@v$DAPR_CLI_VERSION:"
    grep -m1 -E "403|404|not available|error" "$tmp/build.log" | sed 's/^/[install-daprd]   /' >&2 || true
    say "WARNING: continuing without the dapr CLI; 'dapr run -f dapr.yaml' needs a CLI you install yourself."
    touch "$CLI_DIR.unavailable"
  fi
  rm -rf "$tmp"
}

if [[ "$MODE" == control-plane && -f "$CONTROL_PLANE_DIR/.complete" ]]; then
  say "using cached placement and scheduler $DAPRD_VERSION ($CONTROL_PLANE_DIR)"
  echo "$CONTROL_PLANE_DIR"
  exit 0
fi
if [[ "$MODE" == daprd && -x "$DAPRD_DIR/daprd" && -f "$DAPRD_DIR/.complete" ]]; then
  say "using cached daprd $DAPRD_VERSION ($DAPRD_DIR/daprd)"
  if command -v go >/dev/null 2>&1; then build_cli; fi
  echo "$DAPRD_DIR/daprd"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "ERROR: 'go' was not found on PATH. daprd $DAPRD_VERSION is built from source and needs Go >= 1.26.6."
  say "Install Go (https://go.dev/doc/install) or put it on PATH, then run this script again."
  exit 3
fi

mkdir -p "$CACHE_ROOT"
WORK="$(mktemp -d "$CACHE_ROOT/build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export CGO_ENABLED=0 GOFLAGS="-mod=mod" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

available() { go mod download -json "$1" >/dev/null 2>&1; }

# daprd's go.mod carries replace directives that apply only in the main module, so this wrapper
# module repeats them (daprd-build-and-sdks spec, section 1.3).
say "step 1/$TOTAL_STEPS: preparing a wrapper module for github.com/dapr/dapr v$DAPRD_VERSION"
cat > go.mod <<MOD
module keyless.local/daprdbuild

go 1.26.6

replace dubbo.apache.org/dubbo-go/v3 => dubbo.apache.org/dubbo-go/v3 v3.0.3-0.20230118042253-4f159a2b38f3

replace gopkg.in/couchbaselabs/gocbconnstr.v1 => github.com/couchbaselabs/gocbconnstr v1.0.5

replace github.com/chenzhuoyu/iasm => github.com/chenzhuoyu/iasm v0.9.0

replace github.com/chzyer/logex => github.com/chzyer/logex v1.2.1

replace github.com/gobwas/pool => github.com/gobwas/pool v0.2.1

replace github.com/toolkits/concurrent => github.com/niean/gotools v0.0.0-20151221085310-ff3f51fc5c60
MOD
printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/dapr/dapr/cmd/daprd"\n\t_ "github.com/dapr/dapr/cmd/placement"\n\t_ "github.com/dapr/dapr/cmd/scheduler"\n)\n' > tools.go

say "step 2/$TOTAL_STEPS: resolving modules (the first run downloads several hundred MB from the Go module proxy)"
go get "github.com/dapr/dapr@v$DAPRD_VERSION" >&2

# Some module proxies (including the one this project's CI uses) do not serve every version
# daprd pins. Each fallback below is taken only when the pinned version cannot be downloaded,
# and is announced. None of them touches the code paths keyless relies on (state, secrets, gRPC).
PULSAR_FORK="github.com/twmb/pulsar-client-go@v0.20.1-0.20260624144353-90eefc81f70a"
if available "$PULSAR_FORK"; then
  echo "replace github.com/apache/pulsar-client-go v0.18.0 => ${PULSAR_FORK/@/ }" >> go.mod
else
  say "note: $PULSAR_FORK is not served; pubsub.pulsar is built on apache/pulsar-client-go v0.18.0 instead"
fi
if ! available "github.com/iskorotkov/avro/v2@v2.33.1"; then
  say "note: github.com/iskorotkov/avro/v2 is not served; using a local copy of github.com/hamba/avro/v2 (the fork's upstream)"
  go mod download github.com/hamba/avro/v2@v2.31.0 >&2
  cp -r "$(go env GOMODCACHE)/github.com/hamba/avro/v2@v2.31.0" ./avroshim
  chmod -R u+w ./avroshim
  grep -rl 'github.com/hamba/avro/v2' ./avroshim | xargs sed -i 's#github.com/hamba/avro/v2#github.com/iskorotkov/avro/v2#g'
  # daprd's pulsar registration sets this field of the fork; hamba's Config lacks it.
  sed -i 's#^\tMaxSliceAllocSize int$#\tMaxSliceAllocSize int\n\tMaxMapAllocSize int#' ./avroshim/config.go
  echo 'replace github.com/iskorotkov/avro/v2 => ./avroshim' >> go.mod
fi
DTG_VERSION="$(go list -m -f '{{.Version}}' github.com/dapr/durabletask-go 2>/dev/null || echo v0.12.4)"
if ! available "github.com/dapr/durabletask-go@$DTG_VERSION"; then
  say "note: github.com/dapr/durabletask-go@$DTG_VERSION is not served; using v0.12.1 (workflow engine only)"
  echo 'replace github.com/dapr/durabletask-go => github.com/dapr/durabletask-go v0.12.1' >> go.mod
fi
go mod tidy -e >/dev/null 2>&1 || true

LDFLAGS="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPRD_VERSION -X github.com/dapr/kit/logger.DaprVersion=$DAPRD_VERSION"
( while sleep 30; do say "  ...still compiling ($(date +%H:%M:%S))"; done ) &
TICKER=$!
trap 'kill $TICKER 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [[ "$MODE" == control-plane ]]; then
  say "step 3/3: compiling placement and scheduler (about 3 minutes on 2 cores the first time)"
  for service in placement scheduler; do
    go build -trimpath -ldflags "$LDFLAGS" -o "$WORK/$service" "github.com/dapr/dapr/cmd/$service" >&2
  done
  kill $TICKER 2>/dev/null || true
  mkdir -p "$CONTROL_PLANE_DIR"
  cp go.mod "$CONTROL_PLANE_DIR/build-go.mod"
  mv "$WORK/placement" "$WORK/scheduler" "$CONTROL_PLANE_DIR/"
  say "built: placement and scheduler $DAPRD_VERSION in $CONTROL_PLANE_DIR"
  touch "$CONTROL_PLANE_DIR/.complete"
  echo "$CONTROL_PLANE_DIR"
  exit 0
fi

say "step 3/4: compiling daprd with -tags stablecomponents, CGO off (about 5 minutes on 2 cores)"
go build -tags stablecomponents -trimpath -ldflags "$LDFLAGS" -o "$WORK/daprd" github.com/dapr/dapr/cmd/daprd >&2
kill $TICKER 2>/dev/null || true
mkdir -p "$DAPRD_DIR"
cp go.mod "$DAPRD_DIR/build-go.mod"
mv "$WORK/daprd" "$DAPRD_DIR/daprd"
say "built: $("$DAPRD_DIR/daprd" --version)"
touch "$DAPRD_DIR/.complete"

say "step 4/4: the dapr CLI"
build_cli
echo "$DAPRD_DIR/daprd"
