#!/usr/bin/env bash
# Installs the project's npm packages (exact versions from package-lock.json) when they are missing or
# stale. better-sqlite3 is compiled from source by node-gyp when no prebuilt binary can be fetched; it is
# pointed at the headers of the Node that runs this script, so no header download is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

if ! command -v node >/dev/null 2>&1; then
  say "ERROR: node was not found; keyless needs Node.js 20 or newer"; exit 3
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if (( major < 20 )); then
  say "ERROR: Node.js $(node --version) is too old; keyless needs Node.js 20 or newer"; exit 3
fi

if [[ -z "${npm_config_nodedir:-}" ]]; then
  prefix="$(node -p 'require("path").dirname(require("path").dirname(process.execPath))')"
  if [[ -f "$prefix/include/node/node.h" ]]; then export npm_config_nodedir="$prefix"; fi
fi

want="$(sha256sum package-lock.json | cut -d' ' -f1)-$(node --version)"
stamp="node_modules/.keyless-install-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  say "npm packages are up to date"
else
  say "installing npm packages with npm ci (compiles better-sqlite3; about a minute the first time)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
