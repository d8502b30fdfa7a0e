# Sourced by scripts/test-images.sh: one function per deployment topology, each ending with the sample
# processing a message (run under set -e: any failing step fails it), or setting SKIPPED to the reason. Azure itself is played by the stand-ins (managed identity, Key Vault) and Azurite.
IDENTITY_HEADER_VALUE="images-test-only-identity-header"
KEYLESS_DEV_CLIENT_ID="6b0f4b7e-4c1e-4a7a-9d55-5e1f00000001" # dev/seed.json's keyless-dev identity
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
RO=(--read-only --read-only-tmpfs=false) # a read-only root and no writable /tmp unless a volume says so

azurite_connection() { # host
  echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;QueueEndpoint=http://$1:10001/devstoreaccount1;"
}

# A folder owned by one uid, for a bind mount into a container running as that uid.
owned_dir() { mkdir -p "$1" && chown "$2:$2" "$1" && echo "$1"; }

wait_log() { # container, text, seconds
  local i
  for ((i = 0; i < $3 * 2; i++)); do
    podman logs "$1" 2>&1 | grep -qF "$2" && return 0
    [[ "$(podman inspect --format '{{.State.Running}}' "$1")" == true ]] || break
    sleep 0.5
  done
  say "FAIL: $1 did not log \"$2\""; podman logs "$1" 2>&1 | tail -30 >&2; return 1
}

pod_components() { # dir, vault host
  mkdir -p "$1"
  cat >"$1/secretstore.yaml" <<YAML
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: secretstore
spec:
  type: secretstores.keyless
  version: v1
  metadata:
    - name: sources
      value: "keyvault"
    - name: vaultUri
      value: "https://$2:8443"
    - name: azureClientId
      value: "$KEYLESS_DEV_CLIENT_ID"
YAML
  cat >"$1/statestore.yaml" <<YAML
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.keyless
  version: v1
  metadata:
    - name: backend
      value: "sqlite"
YAML
}

# "Azure" for a pod: Azurite and the stand-ins in the pod's network namespace, the stand-ins' CA in $1/certs.
start_azure_in_pod() { # workdir, pod, prefix
  local certs azdata
  certs="$(owned_dir "$1/certs" 10001)"; azdata="$(owned_dir "$1/azurite" 10003)"
  podman run -d --pod "$2" --name "$3-azurite" --user 10003:10003 "${RO[@]}" -v "$azdata:/data" "$AZURITE_IMAGE" >/dev/null
  podman run -d --pod "$2" --name "$3-standins" --user 10001:10001 "${RO[@]}" -v "$certs:/certs" \
    -e STANDINS_TLS_DIR=/certs -e IDENTITY_HEADER="$IDENTITY_HEADER_VALUE" \
    -e QUEUE_CONNECTION_STRING="$(azurite_connection 127.0.0.1)" localhost/keyless-dev:dev dist/dev/standIns.js >/dev/null
  wait_log "$3-standins" "stand-ins ready" 60
}

# Container Apps: keyless's container runs daprd as its supervised child (`serve --then`), so daprd starts only
# once the socket is bound; the app is its own container and never sees the socket volume.
run_aca() {
  local d="$WORK/aca" data sockets
  pod_components "$d/components" 127.0.0.1
  data="$(owned_dir "$d/data" 65532)"; sockets="$(owned_dir "$d/sockets" 65532)"
  podman pod rm -f -t 2 keyless-aca >/dev/null 2>&1 || true
  podman pod create --name keyless-aca >/dev/null
  start_azure_in_pod "$d" keyless-aca aca
  podman run -d --pod keyless-aca --name aca-keyless "${RO[@]}" \
    -v "$sockets:/var/run/dapr-sockets" -v "$data:/var/lib/keyless" \
    -v "$d/components:/components:ro" -v "$d/certs:/certs:ro" \
    -e IDENTITY_ENDPOINT=http://127.0.0.1:42356/msi/token -e IDENTITY_HEADER="$IDENTITY_HEADER_VALUE" \
    -e NODE_EXTRA_CA_CERTS=/certs/ca.pem -e DAPR_COMPONENTS_SOCKETS_FOLDER=/var/run/dapr-sockets \
    localhost/keyless:with-daprd serve --then /usr/local/bin/daprd --app-id=queuereader --app-port=3000 \
    --resources-path=/components --dapr-http-port=3500 --dapr-grpc-port=50001 --log-level=info >/dev/null
  podman run -d --pod keyless-aca --name aca-app --user 10002:10002 "${RO[@]}" \
    -e DAPR_GRPC_PORT=50001 -e APP_PORT=3000 -e QUEUE_AUTH=secret -e SECRET_STORE=secretstore \
    -e STATE_STORE=statestore localhost/keyless-dev:dev dist/samples/queuereader/src/main.js >/dev/null
  wait_log aca-keyless "started daprd now that the socket is bound" 60
  sample_processes_a_message aca-app
  local logs; logs="$(podman logs aca-keyless 2>&1)"
  if grep -q "daprd exited" <<<"$logs" || [[ "$(podman inspect --format '{{.State.Running}} {{.RestartCount}}' aca-keyless)" != "true 0" ]]; then
    say "FAIL: daprd exited or keyless's container restarted"; tail -40 <<<"$logs" >&2; return 1
  fi
  grep -q '^daprd | ' <<<"$logs" || { say "FAIL: no labelled daprd log lines"; return 1; }
  say "aca: uids keyless+daprd=$(podman exec aca-keyless id -u), app=$(podman exec aca-app id -u), stand-ins=$(podman exec aca-standins id -u); roots read-only; daprd started once, never exited"
  podman pod rm -f -t 5 keyless-aca >/dev/null
}

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# docker-compose.yml unchanged, through podman's Docker-compatible API and the compose binary the project builds.
run_compose() {
  local sock="$WORK/podman.sock" compose i
  compose="$(bash scripts/install-compose.sh)" || { SKIPPED="the compose binary could not be built"; return 0; }
  [[ "$compose" == docker-compose-plugin ]] && compose="docker compose"
  podman system service --time=0 "unix://$sock" >"$WORK/podman-api.log" 2>&1 &
  API_PID=$!
  for ((i = 0; i < 50; i++)); do [[ -S "$sock" ]] && break; sleep 0.2; done
  local dc="env DOCKER_HOST=unix://$sock APP_PORT=$(free_port) DAPR_HTTP_PORT=$(free_port) $compose -p keyless-images"
  COMPOSE_DOWN="$dc down -v -t 5"
  # podman runs health checks from systemd timers, which this machine has not: run them from here meanwhile.
  (while sleep 1; do
    for c in $(podman ps --filter health=starting --filter health=unhealthy --format '{{.Names}}'); do
      podman healthcheck run "$c" >/dev/null 2>&1 || true
    done
  done) &
  local hc=$!
  if ! $dc up -d --no-build >"$WORK/compose-up.log" 2>&1; then
    kill "$hc"; cat "$WORK/compose-up.log" >&2; podman logs keyless-images-keyless-1 2>&1 | tail -20 >&2; return 1
  fi
  kill "$hc"
  sample_processes_a_message keyless-images-queuereader-1 || { $dc logs --tail 30 >&2; return 1; }
  say "compose: services $($dc ps --format '{{.Service}}' | sort | tr '\n' ' ')up; the sample processed a message through keyless"
  $dc down -v -t 5 >/dev/null 2>&1
  COMPOSE_DOWN=""
}

# AKS: deploy/aks/keyless.yaml's Deployment through Dapr's own injector patch (deploy/aks/patch, which checks the
# socket volume and folder), adapted only where a cluster is needed (local.go), run with podman kube play.
run_aks() {
  local d="$WORK/aks" go=go
  command -v go >/dev/null || go=/usr/local/go/bin/go
  command -v "$go" >/dev/null || { SKIPPED="no Go toolchain to build deploy/aks/patch"; return 0; }
  pod_components "$d/components" 127.0.0.1
  owned_dir "$d/certs" 10001 >/dev/null; owned_dir "$d/azurite" 10003 >/dev/null
  sed -e "s/<CLIENT_ID>/$KEYLESS_DEV_CLIENT_ID/g; s/<VAULT>/stand-in/g; s/<ACCOUNT>/devstoreaccount1/g" \
    -e "s|<ACR>.azurecr.io/keyless:0.1.0|localhost/keyless:dev|; s|<ACR>.azurecr.io/keyless-dev:0.1.0|localhost/keyless-dev:dev|" \
    deploy/aks/keyless.yaml >"$d/keyless.yaml"
  say "aks: building deploy/aks/patch (Dapr's injector patcher v$(pinned DAPRD_VERSION))"
  (cd deploy/aks/patch && CGO_ENABLED=0 GOFLAGS=-mod=mod "$go" build -o "$d/patch" .)
  "$d/patch" -podman "$d" -queue-connection "$(azurite_connection 127.0.0.1)" "$d/keyless.yaml" "$DAPRD_IMAGE" >"$d/pod.yaml"
  say "aks: the injector gave keyless the socket volume and DAPR_COMPONENT_SOCKETS_FOLDER; podman kube play"
  podman run --rm --user 10001:10001 "${RO[@]}" -v "$d/certs:/certs" localhost/keyless-dev:dev \
    -e 'import("/app/dist/dev/tls.js").then((m) => m.ensureTestTls("/certs"))' >/dev/null
  podman kube down "$d/pod.yaml" >/dev/null 2>&1 || true
  podman kube play "$d/pod.yaml" >"$WORK/kube-play.log" 2>&1 || { cat "$WORK/kube-play.log" >&2; return 1; }
  AKS_DOWN="$d/pod.yaml"
  wait_log queuereader-keyless "ready for daprd" 60
  sample_processes_a_message queuereader-app || { podman logs queuereader-daprd 2>&1 | tail -20 >&2; return 1; }
  podman exec queuereader-keyless sh -c 'test -S "$DAPR_COMPONENT_SOCKETS_FOLDER/keyless.sock"' \
    || { say "FAIL: keyless's socket is not in the injector's folder"; return 1; }
  local restarts; restarts="$(podman inspect --format '{{.RestartCount}}' queuereader-daprd)"
  say "aks: uids keyless=$(podman exec queuereader-keyless id -u), app=$(podman exec queuereader-app id -u); daprd restarts: $restarts"
  # Containers of a pod start together here as on Kubernetes: daprd may scan before keyless has bound.
  [[ "$restarts" == 0 ]] || say "aks: daprd's first exit: $(podman logs queuereader-daprd 2>&1 | grep -m1 'level=fatal' | sed 's/.*msg="\([^"]*\)".*/\1/' | cut -c1-200)"
  podman kube down "$d/pod.yaml" >/dev/null 2>&1
  AKS_DOWN=""
}
