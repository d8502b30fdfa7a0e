/**
 * A cache in front of a remote source (Key Vault):
 * - values are fresh for `ttlMs`; "not here" answers for `negativeTtlMs`;
 * - concurrent misses for the same secret share one request (single flight);
 * - when the source fails transiently (outage, throttling, timeout) a value fetched within
 *   `ttlMs + staleIfErrorMs` is served instead, and a warning says so;
 * - after a Retry-After the source is not called again until that time has passed, for Gets and listings
 *   alike; the error answered meanwhile names the secret asked for, not the one that was throttled;
 * - a listing is cached only when the source answered it completely (a failing source throws).
 * Secret values stay inside this object; logs carry names and error codes only.
 */
import { errors } from "../errors/catalog.js";
import { isKeylessError } from "../errors/keylessError.js";
import type { Logger } from "../observability/logger.js";
import { noMetrics, type Metrics } from "../observability/metrics.js";
import { SingleFlight } from "../util/singleFlight.js";
import type { GetOptions, ListOptions, SecretSource, SecretValue } from "./source.js";

export interface CacheOptions {
  ttlMs: number;
  staleIfErrorMs: number;
  negativeTtlMs: number;
  maxEntries: number;
  now: () => number;
  /** The secret store instance, named in errors this cache raises itself. */
  instance?: string;
  log: Logger;
  metrics?: Metrics;
}

interface Entry<T> {
  value: T;
  fetchedAt: number;
  /** false for a "not here" answer. */
  found: boolean;
}

export interface CacheStats {
  hits: number;
  misses: number;
  staleServed: number;
  sourceCalls: number;
}

export class CachedSource implements SecretSource {
  readonly name: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, staleServed: 0, sourceCalls: 0 };
  private readonly entries = new Map<string, Entry<SecretValue | undefined>>();
  private readonly gets = new SingleFlight<string, SecretValue | undefined>();
  private listEntry: { key: string; entry: Entry<Map<string, SecretValue>> } | undefined;
  private readonly lists = new SingleFlight<string, Map<string, SecretValue>>();
  private blockedUntil = 0;
  private blockedBy: unknown;
  private readonly metrics: Metrics;
  private readonly instance: string;

  constructor(
    private readonly inner: SecretSource,
    private readonly opts: CacheOptions,
  ) {
    this.name = inner.name;
    this.metrics = opts.metrics ?? noMetrics;
    this.instance = opts.instance ?? "";
  }

  async get(name: string, options?: GetOptions): Promise<SecretValue | undefined> {
    const key = options?.version ? `${name}\u0000${options.version}` : name;
    const now = this.opts.now();
    const e = this.entries.get(key);
    if (e && now - e.fetchedAt < (e.found ? this.opts.ttlMs : this.opts.negativeTtlMs)) {
      this.stats.hits++;
      this.metrics.cache(this.instance, "hit");
      return e.value;
    }
    this.stats.misses++;
    this.metrics.cache(this.instance, "miss");
    return this.gets.run(key, () => this.fetch(key, name, e, () => this.inner.get(name, options)));
  }

  async list(options?: ListOptions): Promise<Map<string, SecretValue>> {
    const key = String(options?.maxResults ?? "all");
    const now = this.opts.now();
    const cached = this.listEntry?.key === key ? this.listEntry.entry : undefined;
    if (cached && now - cached.fetchedAt < this.opts.ttlMs) return new Map(cached.value);
    const value = await this.lists.run(key, async () => {
      try {
        const value = await this.callSource(undefined, () => this.inner.list(options));
        this.listEntry = { key, entry: { value, fetchedAt: this.opts.now(), found: true } };
        return value;
      } catch (err) {
        if (cached && this.canServeStale(cached, err)) {
          this.stats.staleServed++;
          this.metrics.cache(this.instance, "stale");
          this.opts.log.warn(
            { source: this.name, code: codeOf(err) },
            "serving a cached secret list; the source is failing",
          );
          return cached.value;
        }
        throw err;
      }
    });
    return new Map(value);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async fetch(
    key: string,
    name: string,
    previous: Entry<SecretValue | undefined> | undefined,
    load: () => Promise<SecretValue | undefined>,
  ): Promise<SecretValue | undefined> {
    try {
      const value = await this.callSource(name, load);
      this.remember(key, { value, fetchedAt: this.opts.now(), found: value !== undefined });
      return value;
    } catch (err) {
      if (previous?.found && this.canServeStale(previous, err)) {
        this.stats.staleServed++;
        this.metrics.cache(this.instance, "stale");
        this.opts.log.warn(
          {
            source: this.name,
            secretName: name,
            ageMs: this.opts.now() - previous.fetchedAt,
            code: codeOf(err),
          },
          "serving a cached value past its TTL; the source is failing",
        );
        return previous.value;
      }
      throw err;
    }
  }

  /**
   * Calls the source unless a Retry-After is in force; records a new Retry-After. While waiting, the
   * error names `name` (the secret asked for; undefined for a listing), keeping the stored one as cause.
   */
  private async callSource<T>(name: string | undefined, load: () => Promise<T>): Promise<T> {
    const now = this.opts.now();
    if (now < this.blockedUntil) {
      this.metrics.retryAfterWait(this.instance);
      throw errors.sourceBackingOff(
        this.opts.instance ?? "",
        this.name,
        name,
        this.blockedUntil - now,
        this.blockedBy,
      );
    }
    this.stats.sourceCalls++;
    try {
      const value = await load();
      this.metrics.keyVaultCall(this.instance, value === undefined ? "not_found" : "ok");
      return value;
    } catch (err) {
      this.metrics.keyVaultCall(this.instance, codeOf(err));
      if (isKeylessError(err) && err.retryAfterMs !== undefined) {
        this.metrics.keyVaultThrottled(this.instance, err.retryAfterMs);
        this.blockedUntil = this.opts.now() + err.retryAfterMs;
        this.blockedBy = err;
      }
      throw err;
    }
  }

  private canServeStale(e: { fetchedAt: number }, err: unknown): boolean {
    return (
      isKeylessError(err) &&
      err.transient &&
      this.opts.now() - e.fetchedAt < this.opts.ttlMs + this.opts.staleIfErrorMs
    );
  }

  private remember(key: string, e: Entry<SecretValue | undefined>): void {
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

function codeOf(err: unknown): string {
  return isKeylessError(err) ? err.code : "UNKNOWN";
}
