/**
 * Every series keyless exports, declared once: its name, type, labels, Prometheus help and the README's
 * "Meaning" cell. promMetrics.ts builds the series from these entries and a unit test keeps the README's
 * Metrics table equal to `metricsTableRows()`, so a new series is written here and nowhere else by hand.
 * Loaded with promMetrics.ts, after the socket is bound: nothing on the start-up path imports it.
 */
export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricDeclaration {
  readonly name: `keyless_${string}`;
  readonly type: MetricType;
  readonly labels: readonly string[];
  /** Prometheus HELP text. */
  readonly help: string;
  /** The README table's Meaning cell (Markdown). */
  readonly meaning: string;
}

function declare<const L extends string>(
  m: MetricDeclaration & { labels: readonly L[] },
): MetricDeclaration & { labels: readonly L[] } {
  return m;
}

/** In the order the README lists them. */
export const METRICS = {
  secretRequests: declare({
    name: "keyless_secret_requests_total",
    type: "counter",
    labels: ["instance", "source", "outcome"],
    help: "Secret Gets answered, by instance, the source that answered and outcome",
    meaning:
      "secret Gets; `source` is the source that answered or failed (`none` for not found / refused), `outcome` `ok`, `not_found`, `denied`, `invalid`, `error`",
  }),
  cacheLookups: declare({
    name: "keyless_secret_cache_total",
    type: "counter",
    labels: ["instance", "result"],
    help: "Key Vault cache lookups: hit, miss, or stale (a value past its TTL served because the vault failed)",
    meaning:
      "Key Vault cache lookups: `hit`, `miss`, `stale` (a value past its TTL answered: vault failing, or a refresh still running)",
  }),
  vaultCalls: declare({
    name: "keyless_keyvault_calls_total",
    type: "counter",
    labels: ["instance", "outcome"],
    help: "Calls to Key Vault (Get or listing), by outcome (ok, not_found or an error code)",
    meaning: "calls to Key Vault (Get or listing): `ok`, `not_found` or the error code (`SOURCE_FAILED`, …)",
  }),
  throttled: declare({
    name: "keyless_keyvault_throttled_total",
    type: "counter",
    labels: ["instance"],
    help: "Key Vault answers 429 Too Many Requests",
    meaning: "429 answers from Key Vault",
  }),
  retryAfterSeconds: declare({
    name: "keyless_keyvault_retry_after_seconds_total",
    type: "counter",
    labels: ["instance"],
    help: "Seconds of Retry-After that Key Vault asked keyless to wait",
    meaning: "seconds of `Retry-After` Key Vault asked for",
  }),
  retryAfterWaits: declare({
    name: "keyless_keyvault_retry_after_waits_total",
    type: "counter",
    labels: ["instance"],
    help: "Calls held back (answered from cache or failed) while a Retry-After was in force",
    meaning: "calls not made because a `Retry-After` was still running",
  }),
  tokens: declare({
    name: "keyless_token_requests_total",
    type: "counter",
    labels: ["identity", "outcome"],
    help: "Token requests to the identity endpoint, by identity and outcome (ok or failed)",
    meaning:
      "token requests to the identity endpoint, `ok` or `failed`; `identity` is e.g. `mi:clientId:<client id>`, `mi:system`, `wi:<client id>:<tenant>`",
  }),
  tokenExpiry: declare({
    name: "keyless_token_expiry_seconds",
    type: "gauge",
    labels: ["identity"],
    help: "Seconds until the current token of each identity expires",
    meaning: "seconds until the identity's current token expires",
  }),
  bulkOmitted: declare({
    name: "keyless_bulkget_omitted_total",
    type: "counter",
    labels: ["instance", "reason"],
    help: "Secrets left out of a BulkGet, by reason (disabled, expired, not_yet_valid, managed, forbidden, deleted)",
    meaning:
      "secrets left out of a BulkGet: `disabled` (by attribute or a 403 `SecretDisabled`), `expired`, `not_yet_valid`, `managed`, `forbidden` (a 403 a role would fix), `deleted`",
  }),
  stateOps: declare({
    name: "keyless_state_operations_total",
    type: "counter",
    labels: ["instance", "backend", "operation", "outcome"],
    help: "State operations, by instance, backend, operation and outcome (ok or an error code)",
    meaning:
      "state `get`, `bulkGet`, `set`, `delete`, `bulkSet`, `bulkDelete`, `transact`; `outcome` `ok` or the error code (`ETAG_MISMATCH`, …)",
  }),
  stateSeconds: declare({
    name: "keyless_state_operation_seconds",
    type: "histogram",
    labels: ["instance", "backend", "operation"],
    help: "Latency of state operations",
    meaning: "their latency",
  }),
  restored: declare({
    name: "keyless_instances_restored_total",
    type: "counter",
    labels: ["category"],
    help: "Instances rebuilt from saved Init metadata after a keyless restart",
    meaning: "instances rebuilt from saved Init metadata after a keyless restart",
  }),
  refreshes: declare({
    name: "keyless_secret_refresh_ahead_total",
    type: "counter",
    labels: ["instance", "outcome"],
    help: "Background refreshes of Key Vault values before their cacheTTL ends, by outcome",
    meaning: "background refreshes before `cacheTTL` ends, `ok` or `error`",
  }),
  rotations: declare({
    name: "keyless_secret_rotations_total",
    type: "counter",
    labels: ["instance"],
    help: "New versions of served secrets picked up (refresh-ahead or rotation event)",
    meaning: "new versions picked up (refresh-ahead, a rotation event, or a fetch after the TTL)",
  }),
  stale: declare({
    name: "keyless_secrets_served_stale",
    type: "gauge",
    labels: ["instance"],
    help: "Cached secrets being answered past their cacheTTL now (the vault is failing; within staleIfError)",
    meaning:
      "cached secrets being answered past their `cacheTTL` now (the vault is failing; each within `staleIfError`)",
  }),
  rotationEvents: declare({
    name: "keyless_rotation_events_total",
    type: "counter",
    labels: ["instance", "type"],
    help: "Key Vault events read from a rotationQueue, by type (SecretNewVersionCreated, SecretExpired, SecretNearExpiry, foreign, malformed)",
    meaning:
      "messages read from a `rotationQueue`: `SecretNewVersionCreated`, `SecretNearExpiry`, `SecretExpired`, `foreign`, `malformed`",
  }),
  failoverCalls: declare({
    name: "keyless_failover_vault_calls_total",
    type: "counter",
    labels: ["instance", "vault", "outcome"],
    help: "Calls to each vault of a store with several vaults (vaultUris), by outcome (ok, not_found, refused, broken)",
    meaning:
      "calls to each vault of a store with `vaultUris` (`vault` is its host): `ok`, `not_found`, `refused` (403/401), `broken` (moved on)",
  }),
};

/** Latency buckets of keyless_state_operation_seconds: SQLite answers in well under a millisecond, Tables in tens. */
export const STATE_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** The README's Metrics table rows, one per declared series, in declaration order. */
export function metricsTableRows(): string[] {
  return Object.values(METRICS).map(
    (m) => `| \`${m.name}\` | ${m.type} | ${m.labels.map((l) => `\`${l}\``).join(", ")} | ${m.meaning} |`,
  );
}
