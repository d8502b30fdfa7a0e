#!/usr/bin/env bash
# The local loop on embedded defaults: keyless (SQLite state, file/env secrets) and a real daprd that
# loads components/ from this repo. Ctrl-C stops both and removes the socket.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

say() { printf '[keyless-dev] %s\n' "$*" >&2; }

bash scripts/setup.sh
DAPRD="$(bash scripts/install-daprd.sh)"
say "building keyless"
npm run --silent build

export DAPR_COMPONENTS_SOCKETS_FOLDER="${DAPR_COMPONENTS_SOCKETS_FOLDER:-${TMPDIR:-/tmp}/keyless-dev-sockets}"
export KEYLESS_DATA_DIR="${KEYLESS_DATA_DIR:-$ROOT/.data}"
HTTP_PORT="${DAPR_HTTP_PORT:-3500}"
GRPC_PORT="${DAPR_GRPC_PORT:-50001}"
APP_ID="${APP_ID:-keyless-dev}"
mkdir -p "$DAPR_COMPONENTS_SOCKETS_FOLDER" "$KEYLESS_DATA_DIR"

pids=()
cleanup() {
  say "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

say "starting keyless (socket $DAPR_COMPONENTS_SOCKETS_FOLDER/keyless.sock, data $KEYLESS_DATA_DIR)"
node dist/src/main.js serve &
pids+=($!)
# daprd scans the socket folder once, so keyless must be listening first.
for _ in $(seq 1 100); do
  [[ -S "$DAPR_COMPONENTS_SOCKETS_FOLDER/keyless.sock" ]] && break
  sleep 0.1
done
[[ -S "$DAPR_COMPONENTS_SOCKETS_FOLDER/keyless.sock" ]] || { say "keyless did not create its socket in 10 s"; exit 1; }

say "starting daprd $("$DAPRD" --version) on http://localhost:$HTTP_PORT with components/"
"$DAPRD" --app-id "$APP_ID" --resources-path "$ROOT/components" \
  --dapr-http-port "$HTTP_PORT" --dapr-grpc-port "$GRPC_PORT" --metrics-port "${DAPR_METRICS_PORT:-9090}" \
  --log-level warn &
pids+=($!)
for _ in $(seq 1 300); do
  curl -fs "http://localhost:$HTTP_PORT/v1.0/healthz/outbound" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://localhost:$HTTP_PORT/v1.0/healthz/outbound" >/dev/null || { say "daprd did not become healthy in 30 s"; exit 1; }

cat <<TRY

keyless is up behind daprd. Try:

  curl http://localhost:$HTTP_PORT/v1.0/secrets/secretstore/demo-greeting
  curl http://localhost:$HTTP_PORT/v1.0/secrets/secretstore/bulk
  curl -X POST http://localhost:$HTTP_PORT/v1.0/state/statestore -H 'content-type: application/json' \\
       -d '[{"key":"greeting","value":{"hello":"world"}}]'
  curl -i http://localhost:$HTTP_PORT/v1.0/state/statestore/greeting
  curl -X POST http://localhost:$HTTP_PORT/v1.0/state/statestore -H 'content-type: application/json' \\
       -d '[{"key":"short-lived","value":1,"metadata":{"ttlInSeconds":"5"}}]'

Press Ctrl-C to stop.
TRY
wait -n "${pids[@]}"
