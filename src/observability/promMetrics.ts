/**
 * The Metrics events as Prometheus series (prom-client), in a registry of their own: nothing is put in
 * prom-client's global registry, so tests and a second instance never share counters.
 * Every name starts with keyless_; README "Metrics" lists them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { CacheResult, Metrics, SecretOutcome, VaultCallOutcome } from "./metrics.js";

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly expiries = new Map<string, number>();
  private readonly secretRequests = this.counter(
    "keyless_secret_requests_total",
    "Secret Gets answered, by instance, the source that answered and outcome",
    ["instance", "source", "outcome"],
  );
  private readonly cacheLookups = this.counter(
    "keyless_secret_cache_total",
    "Key Vault cache lookups: hit, miss, or stale (a value past its TTL served because the vault failed)",
    ["instance", "result"],
  );
  private readonly vaultCalls = this.counter(
    "keyless_keyvault_calls_total",
    "Calls to Key Vault (Get or listing), by outcome (ok, not_found or an error code)",
    ["instance", "outcome"],
  );
  private readonly throttled = this.counter(
    "keyless_keyvault_throttled_total",
    "Key Vault answers 429 Too Many Requests",
    ["instance"],
  );
  private readonly retryAfterSeconds = this.counter(
    "keyless_keyvault_retry_after_seconds_total",
    "Seconds of Retry-After that Key Vault asked keyless to wait",
    ["instance"],
  );
  private readonly retryAfterWaits = this.counter(
    "keyless_keyvault_retry_after_waits_total",
    "Calls held back (answered from cache or failed) while a Retry-After was in force",
    ["instance"],
  );
  private readonly tokens = this.counter(
    "keyless_token_requests_total",
    "Token requests to the identity endpoint, by identity and outcome (ok or failed)",
    ["identity", "outcome"],
  );
  private readonly bulkOmitted = this.counter(
    "keyless_bulkget_omitted_total",
    "Secrets left out of a BulkGet, by reason (disabled, expired, not_yet_valid, managed, forbidden, deleted)",
    ["instance", "reason"],
  );
  private readonly stateOps = this.counter(
    "keyless_state_operations_total",
    "State operations, by instance, backend, operation and outcome (ok or an error code)",
    ["instance", "backend", "operation", "outcome"],
  );
  private readonly stateSeconds = new Histogram({
    name: "keyless_state_operation_seconds",
    help: "Latency of state operations",
    labelNames: ["instance", "backend", "operation"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly restored = this.counter(
    "keyless_instances_restored_total",
    "Instances rebuilt from saved Init metadata after a keyless restart",
    ["category"],
  );
  private readonly refreshes = this.counter(
    "keyless_secret_refresh_ahead_total",
    "Background refreshes of Key Vault values before their cacheTTL ends, by outcome",
    ["instance", "outcome"],
  );
  private readonly rotations = this.counter(
    "keyless_secret_rotations_total",
    "New versions of served secrets picked up (refresh-ahead or rotation event)",
    ["instance"],
  );
  private readonly events = this.counter(
    "keyless_rotation_events_total",
    "Key Vault events read from a rotationQueue, by type (SecretNewVersionCreated, SecretExpired, SecretNearExpiry, foreign, malformed)",
    ["instance", "type"],
  );
  private readonly failoverCalls = this.counter(
    "keyless_failover_vault_calls_total",
    "Calls to each vault of a store with several vaults (vaultUris), by outcome (ok, not_found, refused, broken)",
    ["instance", "vault", "outcome"],
  );

  private readonly stale = new Gauge({
    name: "keyless_secrets_served_stale",
    help: "Cached secrets being answered past their cacheTTL now (the vault is failing; within staleIfError)",
    labelNames: ["instance"],
    registers: [this.registry],
  });

  constructor(private readonly now: () => number = Date.now) {
    const expiries = this.expiries;
    const clock = this.now;
    new Gauge({
      name: "keyless_token_expiry_seconds",
      help: "Seconds until the current token of each identity expires",
      labelNames: ["identity"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [id, at] of expiries) this.set({ identity: id }, Math.max(0, (at - clock()) / 1000));
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "keyless_" });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  secretRequest(instance: string, source: string, outcome: SecretOutcome): void {
    this.secretRequests.inc({ instance, source, outcome });
  }
  cache(instance: string, result: CacheResult): void {
    this.cacheLookups.inc({ instance, result });
  }
  keyVaultCall(instance: string, outcome: string): void {
    this.vaultCalls.inc({ instance, outcome });
  }
  keyVaultThrottled(instance: string, retryAfterMs: number): void {
    this.throttled.inc({ instance });
    this.retryAfterSeconds.inc({ instance }, retryAfterMs / 1000);
  }
  retryAfterWait(instance: string): void {
    this.retryAfterWaits.inc({ instance });
  }
  tokenRequest(identity: string, ok: boolean): void {
    this.tokens.inc({ identity, outcome: ok ? "ok" : "failed" });
  }
  tokenExpiry(identity: string, expiresOnTimestamp: number): void {
    this.expiries.set(identity, expiresOnTimestamp);
  }
  bulkGetOmitted(instance: string, reason: string): void {
    this.bulkOmitted.inc({ instance, reason });
  }
  stateOperation(instance: string, backend: string, operation: string, outcome: string, seconds: number) {
    this.stateOps.inc({ instance, backend, operation, outcome });
    this.stateSeconds.observe({ instance, backend, operation }, seconds);
  }
  instanceRestored(category: string): void {
    this.restored.inc({ category });
  }
  refreshAhead(instance: string, outcome: "ok" | "error"): void {
    this.refreshes.inc({ instance, outcome });
  }
  secretRotated(instance: string): void {
    this.rotations.inc({ instance });
  }
  staleServing(instance: string, delta: 1 | -1): void {
    this.stale.inc({ instance }, delta);
  }
  rotationEvent(instance: string, type: string): void {
    this.events.inc({ instance, type });
  }
  failoverVaultCall(instance: string, vault: string, outcome: VaultCallOutcome): void {
    this.failoverCalls.inc({ instance, vault, outcome });
  }
}
