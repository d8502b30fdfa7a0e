#!/usr/bin/env bash
# Builds keyless's images on this machine (no Docker engine, no registry: podman + runc, base images made with
# debootstrap and npm packages) and runs each deployment topology end to end, the sample processing a message:
#   compose   docker-compose.yml through podman's Docker-compatible API and the project's compose binary
#   aca       the Container Apps topology as a pod: keyless running daprd as its supervised child, the app,
#             each its own non-root user, read-only roots
#   aks       deploy/aks/keyless.yaml's pod after Dapr's own injector patch (deploy/aks/patch), run by podman kube play
# Usage: scripts/test-images.sh [compose] [aca] [aks]   (default: all). Cached by content under
# ${KEYLESS_CACHE:-~/.cache/keyless}/images. Exits 77 with "skipped: <why>" when podman cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/images-lib.sh
TOPOLOGIES=("${@:-compose aca aks}")
read -r -a TOPOLOGIES <<<"${TOPOLOGIES[*]}"
skip() { echo "skipped: $*" >&2; exit 77; }
started=$(date +%s)

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  [[ $(id -u) == 0 ]] || skip "podman, runc or debootstrap missing and not root to install them"
  command -v apt-get >/dev/null || skip "podman, runc or debootstrap missing and no apt-get to install them"
  say "installing podman, runc, debootstrap from Debian (about a minute)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap; } \
    >"${TMPDIR:-/tmp}/keyless-apt.log" 2>&1 || skip "apt-get install podman runc debootstrap failed (see ${TMPDIR:-/tmp}/keyless-apt.log)"
fi
setup_podman
podman info >/dev/null 2>&1 || skip "podman cannot run here: $(podman info 2>&1 | tail -1)"

KEYLESS_DAPRD="${KEYLESS_DAPRD:-$(bash scripts/install-daprd.sh)}"
make_base_image
make_daprd_image "$KEYLESS_DAPRD"
make_azurite_image
build_project_image localhost/keyless:dev Dockerfile
build_project_image localhost/keyless:with-daprd Dockerfile with-daprd
build_project_image localhost/keyless-dev:dev Dockerfile.dev
say "images ready after $(($(date +%s) - started)) s"

# What the production image must not hold, and how it runs. (@azure/storage-queue belongs: the component reads
# Key Vault rotation events from a queue when an instance sets rotationQueue.)
check_production_image() {
  local img=localhost/keyless:dev
  [[ "$(podman image inspect --format '{{.Config.User}}' "$img")" == "65532:65532" ]] || { say "FAIL: USER is not 65532:65532"; return 1; }
  local found
  found="$(podman run --rm --read-only --entrypoint /bin/sh "$img" -c \
    'for c in openssl gcc g++ cc make python3; do command -v $c; done; ls /app/dev /app/samples /app/dist/dev /app/node_modules/express /app/node_modules/@dapr 2>/dev/null' || true)"
  [[ -z "$found" ]] || { say "FAIL: the production image holds: $found"; return 1; }
  say "production image: uid 65532, no compilers/openssl/stand-ins/sample/dev files"
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/keyless-images.XXXXXX")"
cleanup() {
  [[ -n "${KEEP:-}" ]] && { say "KEEP set: leaving containers and $WORK for inspection"; return; }
  podman pod rm -f -t 2 keyless-aca >/dev/null 2>&1 || true
  [[ -n "${AKS_DOWN:-}" ]] && podman kube down "$AKS_DOWN" >/dev/null 2>&1 || true
  [[ -n "${COMPOSE_DOWN:-}" ]] && eval "$COMPOSE_DOWN" >/dev/null 2>&1 || true
  [[ -n "${API_PID:-}" ]] && kill "$API_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap 'rc=$?; [[ $rc == 0 || $rc == 77 ]] || say "FAILED (exit $rc)"; cleanup' EXIT

# Posts a message to the sample from inside its network namespace and waits for /stats to show it processed.
sample_processes_a_message() {
  local ctr="$1"
  podman exec "$ctr" node -e '
    const base = "http://127.0.0.1:3000";
    const until = Date.now() + 60000;
    (async () => {
      for (;;) { try { if ((await fetch(base + "/healthz")).ok) break; } catch {} if (Date.now() > until) throw new Error("sample never healthy"); await new Promise(r => setTimeout(r, 500)); }
      const r = await fetch(base + "/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "hello from test-images" }) });
      if (r.status !== 202) throw new Error("POST /messages: " + r.status);
      for (;;) { const s = await (await fetch(base + "/stats")).json(); if (s.processed >= 1) { console.log(JSON.stringify(s.lastMessage)); return; } if (Date.now() > until) throw new Error("not processed: " + JSON.stringify(s)); await new Promise(r => setTimeout(r, 500)); }
    })().catch(e => { console.error(e.message); process.exit(1); });'
}

source scripts/images-topologies.sh
for t in "${TOPOLOGIES[@]}"; do
  case "$t" in
    compose | aca | aks) ;;
    *) echo "unknown topology $t (compose, aca, aks)" >&2; exit 2 ;;
  esac
done
check_production_image
ran=()
skipped=()
for t in "${TOPOLOGIES[@]}"; do
  t0=$(date +%s)
  say "topology $t: starting"
  SKIPPED=""
  "run_$t" # under set -e: a failing step ends the script, naming what failed
  if [[ -n "$SKIPPED" ]]; then say "topology $t: skipped: $SKIPPED"; skipped+=("$t"); continue; fi
  ran+=("$t ($(($(date +%s) - t0)) s)")
  say "topology $t: PASSED, the sample processed a message"
done
say "ran: ${ran[*]:-none}${skipped:+; skipped: ${skipped[*]}}; total $(($(date +%s) - started)) s"
