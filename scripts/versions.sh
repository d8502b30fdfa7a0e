# Sourced by the scripts: pinned NAME prints NAME's value in versions.env, the repository's one list of
# pinned versions. A script keeps an override from the environment with "${NAME:-$(pinned NAME)}".
KEYLESS_VERSIONS_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/versions.env"
pinned() {
  local value
  value="$(sed -n "s/^$1=//p" "$KEYLESS_VERSIONS_FILE")"
  if [[ -z "$value" ]]; then
    printf '[versions] ERROR: %s has no %s\n' "$KEYLESS_VERSIONS_FILE" "$1" >&2
    return 1
  fi
  printf '%s\n' "$value"
}
