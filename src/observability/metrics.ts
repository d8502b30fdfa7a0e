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

/**
 * Forwards every event to the attached Metrics. Events before `attach` (the few milliseconds between
 * binding the socket and loading the registry) are kept as the latest token expiry per identity only:
 * nothing else can happen before daprd's first Init, which needs the socket.
 */
export class MetricsHub implements Metrics {
  private target: Metrics = noMetrics;
  private readonly expiries = new Map<string, number>();

  attach(m: Metrics): void {
    this.target = m;
    for (const [id, at] of this.expiries) m.tokenExpiry(id, at);
    this.expiries.clear();
  }

  secretRequest(instance: string, source: string, outcome: SecretOutcome): void {
    this.target.secretRequest(instance, source, outcome);
  }
  cache(instance: string, result: CacheResult): void {
    this.target.cache(instance, result);
  }
  keyVaultCall(instance: string, outcome: string): void {
    this.target.keyVaultCall(instance, outcome);
  }
  keyVaultThrottled(instance: string, retryAfterMs: number): void {
    this.target.keyVaultThrottled(instance, retryAfterMs);
  }
  retryAfterWait(instance: string): void {
    this.target.retryAfterWait(instance);
  }
  tokenRequest(identity: string, ok: boolean): void {
    this.target.tokenRequest(identity, ok);
  }
  tokenExpiry(identity: string, expiresOnTimestamp: number): void {
    if (this.target === noMetrics) this.expiries.set(identity, expiresOnTimestamp);
    else this.target.tokenExpiry(identity, expiresOnTimestamp);
  }
  bulkGetOmitted(instance: string, reason: string): void {
    this.target.bulkGetOmitted(instance, reason);
  }
  stateOperation(instance: string, backend: string, operation: string, outcome: string, seconds: number) {
    this.target.stateOperation(instance, backend, operation, outcome, seconds);
  }
  instanceRestored(category: string): void {
    this.target.instanceRestored(category);
  }
  refreshAhead(instance: string, outcome: "ok" | "error"): void {
    this.target.refreshAhead(instance, outcome);
  }
  secretRotated(instance: string): void {
    this.target.secretRotated(instance);
  }
  rotationEvent(instance: string, type: string): void {
    this.target.rotationEvent(instance, type);
  }
}
