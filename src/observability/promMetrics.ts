/**
 * The Metrics events as Prometheus series (prom-client), in a registry of their own: nothing is put in
 * prom-client's global registry, so tests and a second instance never share counters.
 * Each series is declared in metricCatalog.ts (name, type, labels, help); this file only wires events to them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { METRICS, STATE_SECONDS_BUCKETS, type MetricDeclaration } from "./metricCatalog.js";
import type { CacheResult, Metrics, SecretOutcome, VaultCallOutcome } from "./metrics.js";

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly expiries = new Map<string, number>();
  private readonly secretRequests = this.counter(METRICS.secretRequests);
  private readonly cacheLookups = this.counter(METRICS.cacheLookups);
  private readonly vaultCalls = this.counter(METRICS.vaultCalls);
  private readonly throttled = this.counter(METRICS.throttled);
  private readonly retryAfterSeconds = this.counter(METRICS.retryAfterSeconds);
  private readonly retryAfterWaits = this.counter(METRICS.retryAfterWaits);
  private readonly tokens = this.counter(METRICS.tokens);
  private readonly bulkOmitted = this.counter(METRICS.bulkOmitted);
  private readonly stateOps = this.counter(METRICS.stateOps);
  private readonly stateSeconds = new Histogram({
    ...this.series(METRICS.stateSeconds),
    buckets: STATE_SECONDS_BUCKETS,
  });
  private readonly restored = this.counter(METRICS.restored);
  private readonly refreshes = this.counter(METRICS.refreshes);
  private readonly rotations = this.counter(METRICS.rotations);
  private readonly events = this.counter(METRICS.rotationEvents);
  private readonly failoverCalls = this.counter(METRICS.failoverCalls);
  private readonly stale = new Gauge(this.series(METRICS.stale));

  constructor(private readonly now: () => number = Date.now) {
    const expiries = this.expiries;
    const clock = this.now;
    new Gauge({
      ...this.series(METRICS.tokenExpiry),
      collect() {
        this.reset();
        for (const [id, at] of expiries) this.set({ identity: id }, Math.max(0, (at - clock()) / 1000));
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "keyless_" });
  }

  /** The options every series shares, from its declaration, in this instance's own registry. */
  private series<L extends string>(m: MetricDeclaration & { labels: readonly L[] }) {
    return { name: m.name, help: m.help, labelNames: m.labels, registers: [this.registry] };
  }

  private counter<L extends string>(m: MetricDeclaration & { labels: readonly L[] }): Counter<L> {
    return new Counter(this.series(m));
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
