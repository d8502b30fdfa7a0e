# keyless image: the component (default command), the stand-ins (dist/dev/standIns.js) and the
# queuereader sample (dist/samples/queuereader/src/main.js). Multi-stage, runs as the non-root "node" user.
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY proto ./proto
COPY scripts/gen-proto-types.mjs ./scripts/
COPY src ./src
COPY dev ./dev
COPY samples ./samples
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# openssl makes the stand-ins' test certificates; nothing else needs it.
RUN apt-get update && apt-get install -y --no-install-recommends openssl && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    DAPR_COMPONENTS_SOCKETS_FOLDER=/var/run/dapr-sockets \
    KEYLESS_DATA_DIR=/var/lib/keyless
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/proto ./proto
COPY dev/seed.json dev/secrets.json ./dev/
RUN mkdir -p /var/run/dapr-sockets /var/lib/keyless /certs \
 && chown -R node:node /var/run/dapr-sockets /var/lib/keyless /certs
USER node
VOLUME ["/var/run/dapr-sockets", "/var/lib/keyless"]
HEALTHCHECK --interval=5s --timeout=2s --retries=12 CMD test -S /var/run/dapr-sockets/keyless.sock || exit 1
ENTRYPOINT ["node"]
CMD ["dist/src/main.js", "serve"]
