/**
 * What keyless counts, as plain method calls: the code that does the work reports events here and never
 * sees the metrics library. main.ts hands out one MetricsHub before the socket is bound; the Prometheus
 * registry (promMetrics.ts, loaded after the socket is bound to keep start-up light) is attached to it later.
 * Labels are bounded by configuration (instance, source, identity, operation, outcome): never a secret
 * name, a state key, or any value.
 */

export type SecretOutcome = "ok" | "not_found" | "denied" | "invalid" | "error";
export type CacheResult = "hit" | "miss" | "stale";

export interface Metrics {
  /** A Get answered (or failed) by `source` ("none" when no source had it). */
  secretRequest(instance: string, source: string, outcome: SecretOutcome): void;
  cache(instance: string, result: CacheResult): void;
  /** One call to a Key Vault (Get or listing) and how it ended ("ok", "not_found" or an error code). */
  keyVaultCall(instance: string, outcome: string): void;
  /** A 429 from Key Vault and the Retry-After it asked for. */
  keyVaultThrottled(instance: string, retryAfterMs: number): void;
  /** A call held back because a Retry-After was still in force. */
  retryAfterWait(instance: string): void;
  tokenRequest(identity: string, ok: boolean): void;
  /** The token just obtained for `identity` expires at `expiresOnTimestamp` (ms since epoch). */
  tokenExpiry(identity: string, expiresOnTimestamp: number): void;
  bulkGetOmitted(instance: string, reason: string): void;
  stateOperation(
    instance: string,
    backend: string,
    operation: string,
    outcome: string,
    seconds: number,
  ): void;
  instanceRestored(category: string): void;
  refreshAhead(instance: string, outcome: "ok" | "error"): void;
  secretRotated(instance: string): void;
  /** A cached secret started (+1) or stopped (-1) being answered past its cacheTTL. */
  staleServing(instance: string, delta: 1 | -1): void;
  rotationEvent(instance: string, type: string): void;
  /** One call to one vault of a failover store: "ok", "not_found", "refused" (403/401) or "broken". */
  failoverVaultCall(instance: string, vault: string, outcome: VaultCallOutcome): void;
}

export type VaultCallOutcome = "ok" | "not_found" | "refused" | "broken";

const noop = () => undefined;

export const noMetrics: Metrics = {
  secretRequest: noop,
  cache: noop,
  keyVaultCall: noop,
  keyVaultThrottled: noop,
  retryAfterWait: noop,
  tokenRequest: noop,
  tokenExpiry: noop,
  bulkGetOmitted: noop,
  stateOperation: noop,
  instanceRestored: noop,
  refreshAhead: noop,
  secretRotated: noop,
  staleServing: noop,
  rotationEvent: noop,
  failoverVaultCall: noop,
};

/** One Metrics call as data: its method name and arguments. */
type MetricsEvent = { [K in keyof Metrics]: { name: K; args: Parameters<Metrics[K]> } }[keyof Metrics];

function deliver(m: Metrics, event: MetricsEvent): void {
  // The name and the arguments were recorded from the same call; TypeScript cannot pair them here.
  (m[event.name] as (...args: MetricsEvent["args"]) => void).apply(m, event.args);
}

/** A Metrics that hands every call to `record` as data: one method per name of the interface. */
function recorder(record: (event: MetricsEvent) => void): Metrics {
  const names = Object.keys(noMetrics) as (keyof Metrics)[];
  const methods = names.map((name) => [
    name,
    (...args: MetricsEvent["args"]) => record({ name, args } as MetricsEvent),
  ]);
  // Every name of the interface is present (noMetrics is a complete Metrics), each taking its own arguments.
  return Object.fromEntries(methods) as Metrics;
}

/** Events kept while the registry loads (it loads on the first event, so these are a handful). */
const MAX_PENDING = 10_000;

/**
 * Forwards every event to the attached Metrics. The registry (prom-client: ~14 ms and ~1 MiB before the
 * bind, docs/performance.md) is loaded only when there is something to count: the first event asks for it
 * through `whenNeeded`, and events that arrive before it is attached are replayed in order; an idle keyless with no instance never loads it. A hub
 * made `disabled` (no listener) drops every event.
 */
export class MetricsHub implements Metrics {
  private target: Metrics | undefined;
  /**
   * Stands in for the registry until it is attached. Events are recorded as data, not as a closure made
   * in each method: that would cost an allocation per call even after attaching (state calls pass here).
   */
  private readonly recording = recorder((event) => this.later(event));
  private pending: MetricsEvent[] = [];
  private needed?: () => void;
  private asked = false;

  constructor(opts: { disabled?: boolean } = {}) {
    if (opts.disabled) this.target = noMetrics;
  }

  /** Registers what loads the registry; called at once if an event is already waiting. */
  whenNeeded(load: () => void): void {
    this.needed = load;
    if (this.pending.length > 0) this.ask();
  }

  attach(m: Metrics): void {
    this.target = m;
    for (const event of this.pending) deliver(m, event);
    this.pending = [];
  }

  /** Where events go now: the attached registry, or the recorder that queues them for it. */
  private get sink(): Metrics {
    return this.target ?? this.recording;
  }

  private later(event: MetricsEvent): void {
    if (this.pending.length < MAX_PENDING) this.pending.push(event);
    this.ask();
  }

  private ask(): void {
    if (this.asked || !this.needed) return;
    this.asked = true;
    this.needed();
  }

  secretRequest(instance: string, source: string, outcome: SecretOutcome): void {
    this.sink.secretRequest(instance, source, outcome);
  }
  cache(instance: string, result: CacheResult): void {
    this.sink.cache(instance, result);
  }
  keyVaultCall(instance: string, outcome: string): void {
    this.sink.keyVaultCall(instance, outcome);
  }
  keyVaultThrottled(instance: string, retryAfterMs: number): void {
    this.sink.keyVaultThrottled(instance, retryAfterMs);
  }
  retryAfterWait(instance: string): void {
    this.sink.retryAfterWait(instance);
  }
  tokenRequest(identity: string, ok: boolean): void {
    this.sink.tokenRequest(identity, ok);
  }
  tokenExpiry(identity: string, expiresOnTimestamp: number): void {
    this.sink.tokenExpiry(identity, expiresOnTimestamp);
  }
  bulkGetOmitted(instance: string, reason: string): void {
    this.sink.bulkGetOmitted(instance, reason);
  }
  stateOperation(instance: string, backend: string, operation: string, outcome: string, seconds: number) {
    this.sink.stateOperation(instance, backend, operation, outcome, seconds);
  }
  instanceRestored(category: string): void {
    this.sink.instanceRestored(category);
  }
  refreshAhead(instance: string, outcome: "ok" | "error"): void {
    this.sink.refreshAhead(instance, outcome);
  }
  secretRotated(instance: string): void {
    this.sink.secretRotated(instance);
  }
  staleServing(instance: string, delta: 1 | -1): void {
    this.sink.staleServing(instance, delta);
  }
  rotationEvent(instance: string, type: string): void {
    this.sink.rotationEvent(instance, type);
  }
  failoverVaultCall(instance: string, vault: string, outcome: VaultCallOutcome): void {
    this.sink.failoverVaultCall(instance, vault, outcome);
  }
}
