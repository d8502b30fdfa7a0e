/**
 * A cache in front of a remote source (Key Vault):
 * - values are fresh for `ttlMs`; "not here" answers for `negativeTtlMs`;
 * - concurrent misses for the same secret share one request (single flight);
 * - when the source fails transiently (outage, throttling, timeout) a value fetched within
 *   `ttlMs + staleIfErrorMs` is served instead, and a warning says so;
 * - after a Retry-After the source is not called again until that time has passed, for Gets and listings
 *   alike; the error answered meanwhile names the secret asked for, not the one that was throttled;
 * - a listing is cached only when the source answered it completely (a failing source throws);
 * - with `refreshAhead`, a value read since it was fetched is fetched again in the background before its
 *   TTL ends (refreshAhead.ts); while that refresh runs, the value it replaces is still answered, so a
 *   slow vault never shows as latency; a new version is logged ("secret <name> rotated to version <v>").
 * Secret values stay inside this object; logs carry names and error codes only.
 */
import { errors } from "../errors/catalog.js";
import { isKeylessError } from "../errors/keylessError.js";
import type { Logger } from "../observability/logger.js";
import { noMetrics, type Metrics } from "../observability/metrics.js";
import { SingleFlight } from "../util/singleFlight.js";
import { refreshAheadMs, RefreshAheadTimer, sweepEveryMs } from "./refreshAhead.js";
import type { GetOptions, ListOptions, SecretSource, SecretValue, VersionedValue } from "./source.js";

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
  /** "timer": sweep on a timer; "manual": only when refreshDue() is called (tests with a fake clock). */
  refreshAhead?: "timer" | "manual";
}

interface Entry<T> {
  value: T;
  fetchedAt: number;
  /** false for a "not here" answer. */
  found: boolean;
  /** The version that answered (Key Vault), when the source tells it. */
  version?: string;
  /** Read since it was fetched (refresh-ahead keeps only such values fresh). */
  read?: boolean;
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
  /** Keys being refreshed in the background; their current value is answered meanwhile. */
  private readonly refreshing = new Set<string>();
  private readonly timer: RefreshAheadTimer | undefined;

  constructor(
    private readonly inner: SecretSource,
    private readonly opts: CacheOptions,
  ) {
    this.name = inner.name;
    this.metrics = opts.metrics ?? noMetrics;
    this.instance = opts.instance ?? "";
    if (opts.refreshAhead === "timer" && opts.ttlMs > 0) {
      this.timer = new RefreshAheadTimer(this, sweepEveryMs(opts.ttlMs));
      this.timer.start();
    }
  }

  async get(name: string, options?: GetOptions): Promise<SecretValue | undefined> {
    const key = options?.version ? `${name}\u0000${options.version}` : name;
    const now = this.opts.now();
    const e = this.entries.get(key);
    if (e && now - e.fetchedAt < (e.found ? this.opts.ttlMs : this.opts.negativeTtlMs)) {
      this.stats.hits++;
      this.metrics.cache(this.instance, "hit");
      e.read = true;
      return e.value;
    }
    if (e?.found && this.refreshing.has(key)) {
      // Refreshed ahead, but the vault is slow: answer the value being replaced rather than wait.
      this.stats.staleServed++;
      this.metrics.cache(this.instance, "stale");
      return e.value;
    }
    this.stats.misses++;
    this.metrics.cache(this.instance, "miss");
    return this.gets.run(key, () => this.fetch(key, name, e, () => this.loadVersioned(name, options)));
  }

  /**
   * Starts a background refresh of every value read since it was fetched whose TTL ends within the
   * refresh-ahead window (never a pinned version: it cannot change). Returns how many were started.
   */
  refreshDue(): number {
    if (!this.opts.refreshAhead) return 0;
    const due = this.opts.now() - (this.opts.ttlMs - refreshAheadMs(this.opts.ttlMs));
    let started = 0;
    for (const [key, e] of this.entries) {
      if (!e.found || !e.read || e.fetchedAt > due || key.includes("\u0000") || this.gets.has(key)) continue;
      started++;
      void this.refresh(key).then(
        () => this.metrics.refreshAhead(this.instance, "ok"),
        (err: unknown) => {
          this.metrics.refreshAhead(this.instance, "error");
          this.opts.log.warn(
            { source: this.name, secretName: key, code: codeOf(err) },
            "refresh-ahead failed; the cached value is served until its TTL ends",
          );
        },
      );
    }
    return started;
  }

  /**
   * Fetches `name` again now (a rotation event), whether or not it was read; only a name this cache
   * holds. Resolves once the new value is cached.
   */
  async refreshNow(name: string): Promise<boolean> {
    if (!this.entries.get(name)?.found) return false;
    await this.refresh(name);
    return true;
  }

  /**
   * Fetches again, now, every value held under a name `matches` accepts (a rotation event names the
   * secret as the vault knows it). Resolves with how many were refreshed once they are cached.
   */
  async refreshWhere(matches: (name: string) => boolean): Promise<number> {
    const keys = [...this.entries]
      .filter(([key, e]) => e.found && !key.includes("\u0000") && matches(key))
      .map(([key]) => key);
    await Promise.all(keys.map((k) => this.refresh(k, { afterRunning: true })));
    return keys.length;
  }

  /**
   * afterRunning: a fetch already running may have started before the new version existed (a rotation
   * event), so wait for it and fetch again rather than join it.
   */
  private async refresh(key: string, { afterRunning = false } = {}): Promise<void> {
    while (afterRunning && this.gets.has(key)) await this.gets.get(key)!.catch(() => undefined);
    const previous = this.entries.get(key);
    this.refreshing.add(key);
    try {
      await this.gets.run(key, () =>
        this.fetch(key, key, previous, () => this.loadVersioned(key), { staleOnError: false, read: false }),
      );
    } finally {
      this.refreshing.delete(key);
    }
  }

  private async loadVersioned(name: string, options?: GetOptions): Promise<VersionedValue | undefined> {
    if (this.inner.getVersioned) return this.inner.getVersioned(name, options);
    const value = await this.inner.get(name, options);
    return value === undefined ? undefined : { value };
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
    this.timer?.stop();
    await this.inner.close?.();
  }

  private async fetch(
    key: string,
    name: string,
    previous: Entry<SecretValue | undefined> | undefined,
    load: () => Promise<VersionedValue | undefined>,
    /**
     * staleOnError false: a background refresh fails instead (the value it would replace is still within
     * its TTL); read false: nobody asked for this value yet (a refresh).
     */
    { staleOnError = true, read = true } = {},
  ): Promise<SecretValue | undefined> {
    try {
      const got = await this.callSource(name, load);
      const version = got?.version;
      if (previous?.found && got && version && previous.version && version !== previous.version) {
        // Names and versions only: the value never reaches a log line.
        this.opts.log.info(
          { source: this.name, secretName: name, version },
          `secret ${name} rotated to version ${version}`,
        );
        this.metrics.secretRotated(this.instance);
      }
      this.remember(key, {
        value: got?.value,
        fetchedAt: this.opts.now(),
        found: got !== undefined,
        read,
        ...(version && { version }),
      });
      return got?.value;
    } catch (err) {
      if (staleOnError && previous?.found && this.canServeStale(previous, err)) {
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
