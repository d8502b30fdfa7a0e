# keyless's production image: the component alone (dist/src, its runtime dependencies, the protos).
# No stand-ins, no sample, no dev/*.json, no compilers, no openssl. Runs as uid 65532 (numeric, so
# Kubernetes can verify runAsNonRoot) with a read-only root filesystem: the socket folder and the data
# folder are volumes.
#   default target:     the component           podman/docker build -t keyless .
#   --target with-daprd the component plus daprd, for `keyless serve --then /usr/local/bin/daprd ...`
#                       (Container Apps: one container, daprd started only once the socket is bound)
# The stand-ins and the sample have their own image: Dockerfile.dev.
ARG DAPRD_IMAGE=daprio/daprd:1.18.3

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary can be fetched; node's headers ship with
# the Node install under /usr/local, so node-gyp needs no download.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
COPY dev/package.json ./dev/
COPY samples/queuereader/package.json ./samples/queuereader/
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.component.json ./
COPY proto ./proto
COPY scripts/gen-proto-types.mjs scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run gen && npx tsc -p tsconfig.component.json && node scripts/bundle.mjs

# The component's runtime dependencies only: the workspaces (stand-ins, sample) are dropped from the
# manifest, so their packages are not installed; versions still come from the one lockfile. better-sqlite3's
# native addon is the one the build stage compiled (same base, same Node), not compiled twice.
FROM build AS runtime-deps
WORKDIR /deps
COPY package.json package-lock.json .npmrc ./
RUN node -e 'const f="package.json",p=JSON.parse(require("fs").readFileSync(f));delete p.workspaces;delete p.devDependencies;require("fs").writeFileSync(f,JSON.stringify(p,null,2))' \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && mkdir -p node_modules/better-sqlite3/build/Release \
 && cp /src/node_modules/better-sqlite3/build/Release/better_sqlite3.node node_modules/better-sqlite3/build/Release/ \
 && node -e 'require("/deps/node_modules/better-sqlite3")(":memory:").close()'

FROM ${DAPRD_IMAGE} AS daprd

FROM node:20-bookworm-slim AS component
# No socket folder variable here: Dapr's injector sets DAPR_COMPONENT_SOCKETS_FOLDER on component containers
# and keyless refuses two that differ. Unset, keyless uses daprd's default, /tmp/dapr-components-sockets.
ENV NODE_ENV=production \
    KEYLESS_DATA_DIR=/var/lib/keyless
WORKDIR /app
COPY --from=runtime-deps /deps/package.json ./package.json
COPY --from=runtime-deps /deps/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY proto ./proto
RUN mkdir -p /tmp/dapr-components-sockets /var/run/dapr-sockets /var/lib/keyless \
 && chown 65532:65532 /tmp/dapr-components-sockets /var/run/dapr-sockets /var/lib/keyless
USER 65532:65532
VOLUME ["/tmp/dapr-components-sockets", "/var/lib/keyless"]
# /metrics, /healthz and /readyz (KEYLESS_METRICS_PORT).
EXPOSE 9464
# --max-semi-space-size=4 (MiB): V8's young generation otherwise grows to ~50 MiB of short-lived request
# garbage under load; capped, the 5-minute mixed state load peaks ~25 MiB lower at the cost of more (cheap)
# scavenges. --single-threaded-gc: a sidecar shares a core or two with daprd and the app, where V8's GC
# helper threads mostly wait for a CPU and wake each other; collecting on the main thread alone measured
# 3-8 µs less CPU per state request (README, Benchmarks). --initial-old-space-size=8 (MiB): without it V8
# keeps raising a fresh process's first full-collection limit while requests arrive, so the first ~25 s of
# load pile up ~35 MiB of dead objects (and the native memory they hold) before one 70 ms collection; with
# it the mixed state load peaked at 108 MiB instead of 163 (docs/reliability.md, Load), the same limit
# logic applies from then on, and a ceiling is never set. The benches read these flags from this line
# (bench/nodeFlags.ts) to measure what ships.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--single-threaded-gc", "--initial-old-space-size=8", "/app/dist/src/main.js"]
CMD ["serve"]

FROM component AS with-daprd
COPY --from=daprd /daprd /usr/local/bin/daprd

FROM component
