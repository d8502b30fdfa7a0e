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
  rotationEvent(instance: string, type: string): void;
}

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
  rotationEvent: noop,
};

/** One Metrics call as data: its method name and arguments. */
type MetricsEvent = { [K in keyof Metrics]: { name: K; args: Parameters<Metrics[K]> } }[keyof Metrics];

function deliver(m: Metrics, event: MetricsEvent): void {
  // The name and the arguments come from the same typed call site; TypeScript cannot pair them here.
  (m[event.name] as (...args: MetricsEvent["args"]) => void).apply(m, event.args);
}

/** Events kept while the registry loads (it loads on the first event, so these are a handful). */
const MAX_PENDING = 10_000;

/**
 * Forwards every event to the attached Metrics. The registry (prom-client, ~12 MiB) is loaded only when
 * there is something to count: the first event asks for it through `whenNeeded`, and events that arrive
 * before it is attached are replayed in order; an idle keyless with no instance never loads it. A hub
 * made `disabled` (no listener) drops every event.
 */
export class MetricsHub implements Metrics {
  private target: Metrics | undefined;
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

  /**
   * Queues an event that arrived before the registry was attached. Events are data, not closures: a
   * closure in each method would cost an allocation per call even after attaching (state calls pass here).
   */
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
    if (this.target) this.target.secretRequest(instance, source, outcome);
    else this.later({ name: "secretRequest", args: [instance, source, outcome] });
  }
  cache(instance: string, result: CacheResult): void {
    if (this.target) this.target.cache(instance, result);
    else this.later({ name: "cache", args: [instance, result] });
  }
  keyVaultCall(instance: string, outcome: string): void {
    if (this.target) this.target.keyVaultCall(instance, outcome);
    else this.later({ name: "keyVaultCall", args: [instance, outcome] });
  }
  keyVaultThrottled(instance: string, retryAfterMs: number): void {
    if (this.target) this.target.keyVaultThrottled(instance, retryAfterMs);
    else this.later({ name: "keyVaultThrottled", args: [instance, retryAfterMs] });
  }
  retryAfterWait(instance: string): void {
    if (this.target) this.target.retryAfterWait(instance);
    else this.later({ name: "retryAfterWait", args: [instance] });
  }
  tokenRequest(identity: string, ok: boolean): void {
    if (this.target) this.target.tokenRequest(identity, ok);
    else this.later({ name: "tokenRequest", args: [identity, ok] });
  }
  tokenExpiry(identity: string, expiresOnTimestamp: number): void {
    if (this.target) this.target.tokenExpiry(identity, expiresOnTimestamp);
    else this.later({ name: "tokenExpiry", args: [identity, expiresOnTimestamp] });
  }
  bulkGetOmitted(instance: string, reason: string): void {
    if (this.target) this.target.bulkGetOmitted(instance, reason);
    else this.later({ name: "bulkGetOmitted", args: [instance, reason] });
  }
  stateOperation(instance: string, backend: string, operation: string, outcome: string, seconds: number) {
    if (this.target) this.target.stateOperation(instance, backend, operation, outcome, seconds);
    else this.later({ name: "stateOperation", args: [instance, backend, operation, outcome, seconds] });
  }
  instanceRestored(category: string): void {
    if (this.target) this.target.instanceRestored(category);
    else this.later({ name: "instanceRestored", args: [category] });
  }
  refreshAhead(instance: string, outcome: "ok" | "error"): void {
    if (this.target) this.target.refreshAhead(instance, outcome);
    else this.later({ name: "refreshAhead", args: [instance, outcome] });
  }
  secretRotated(instance: string): void {
    if (this.target) this.target.secretRotated(instance);
    else this.later({ name: "secretRotated", args: [instance] });
  }
  rotationEvent(instance: string, type: string): void {
    if (this.target) this.target.rotationEvent(instance, type);
    else this.later({ name: "rotationEvent", args: [instance, type] });
  }
}
