#!/usr/bin/env bash
# `npm run bench`: installs what is missing, builds, and prints benchmark ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
KEYLESS_DAPRD="$(bash scripts/install-daprd.sh)"
export KEYLESS_DAPRD
# BENCH_NO_BUILD=1 measures dist/ as it is (for repeated runs, or a dist/ changed by hand to try something).
[[ -n "${BENCH_NO_BUILD:-}" ]] || npm run --silent build
# `npm run bench` runs bench/run.ts; `npm run bench:load` passes bench/load.ts.
script="${1:-bench/run.ts}"
[[ $# -gt 0 ]] && shift
exec node --import tsx "$script" "$@"
