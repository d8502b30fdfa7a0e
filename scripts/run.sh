#!/usr/bin/env bash
# The main command: the whole local loop on embedded defaults (see dev/devLoop.ts). Installs what is
# missing, builds daprd (cached) and keyless, then starts the stand-ins, Azurite, keyless, daprd and the
# queuereader sample. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
KEYLESS_DAPRD="$(bash scripts/install-daprd.sh)"
export KEYLESS_DAPRD
echo "[keyless-dev] building keyless and the sample" >&2
npm run --silent build
exec node dist/dev/devLoop.js "$@"
