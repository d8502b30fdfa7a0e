#!/usr/bin/env bash
# `npm run bench`: installs what is missing, builds, and prints benchmark ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
KEYLESS_DAPRD="$(bash scripts/install-daprd.sh)"
export KEYLESS_DAPRD
npm run --silent build
exec node --import tsx bench/run.ts "$@"
