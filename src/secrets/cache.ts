/**
 * A cache in front of a remote source (Key Vault). Every decision about time and order (fresh, stale,
 * backoff, Retry-After, refresh-ahead, rotation) is the state machine's (cacheMachine.ts); this class
 * runs the vault calls it asks for, keeps the entries, and turns its notices into logs and metrics:
 * - concurrent Gets for one secret share one vault call; a Get whose caller gives up (its signal aborts)
 *   is released at once, and a call nobody waits for any more is aborted, unless it is a refresh the
 *   cache keeps for itself;
 * - after a failure, the retry time is shared with every cache of the same vault and identity
 *   (vaultCallBook.ts), so an outage costs one call per secret per backoff step;
 * - a listing is cached only when the source answered it completely (a failing source throws).
 * Secret values stay inside this object; logs carry names and error codes only.
 */
import { secretErrors } from "../errors/secrets.js";
import { serverErrors } from "../errors/server.js";
import { isKeylessError } from "../errors/keylessError.js";
import type { Logger } from "../observability/logger.js";
import { noMetrics, type Metrics } from "../observability/metrics.js";
import { SharedCalls } from "../util/sharedCalls.js";
import { SingleFlight } from "../util/singleFlight.js";
import {
  isServable,
  step,
  type CacheEvent,
  type CachePolicy,
  type Entry,
  type Notice,
  type Reply,
  type Step,
  type StepContext,
} from "./cacheMachine.js";
import { refreshAheadMs, RefreshAheadTimer, sweepEveryMs } from "./refreshAhead.js";
import type { GetOptions, ListOptions, SecretSource, SecretValue, VersionedValue } from "./source.js";
import { VaultCallBook } from "./vaultCallBook.js";

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
  /** Shared with the other caches of the same vault and identity; a private one by default. */
  book?: VaultCallBook;
  /** Spreads retries; Math.random by default (tests pin it). */
  jitter?: () => number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  staleServed: number;
  sourceCalls: number;
}

type Value = SecretValue | undefined;
/** How a call ended, for the callers that must know (a rotation event keeps its message on failure). */
type Outcome = { ok: true; value: Value } | { ok: false; error: unknown };

const PINNED = "\u0000";

export class CachedSource implements SecretSource {
  readonly name: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, staleServed: 0, sourceCalls: 0 };
  private readonly entries = new Map<string, Entry<Value>>();
  private readonly calls = new SharedCalls<string, Outcome>();
  private listEntry: { key: string; value: Map<string, SecretValue>; fetchedAt: number } | undefined;
  private readonly lists = new SingleFlight<string, Map<string, SecretValue>>();
  private readonly metrics: Metrics;
  private readonly instance: string;
  private readonly policy: CachePolicy;
  private readonly book: VaultCallBook;
  private readonly timer: RefreshAheadTimer | undefined;

  constructor(
    private readonly inner: SecretSource,
    private readonly opts: CacheOptions,
  ) {
    this.name = inner.name;
    this.metrics = opts.metrics ?? noMetrics;
    this.instance = opts.instance ?? "";
    this.book = opts.book ?? new VaultCallBook();
    this.policy = {
      ttlMs: opts.ttlMs,
      staleIfErrorMs: opts.staleIfErrorMs,
      negativeTtlMs: opts.negativeTtlMs,
      aheadMs: opts.refreshAhead ? refreshAheadMs(opts.ttlMs) : 0,
    };
    if (opts.refreshAhead === "timer" && opts.ttlMs > 0) {
      this.timer = new RefreshAheadTimer(this, sweepEveryMs(opts.ttlMs));
      this.timer.start();
    }
  }

  async get(name: string, options?: GetOptions): Promise<SecretValue | undefined> {
    const key = options?.version ? `${name}${PINNED}${options.version}` : name;
    const first = this.apply(key, name, { type: "get" });
    if (first.call === "background") void this.startBackground(key);
    if (first.reply?.kind !== "wait") return this.answer(key, first.reply);
    this.stats.misses++;
    this.metrics.cache(this.instance, "miss");
    // Joins the call in flight, or starts it (first.call === "foreground"); this caller may leave early.
    const outcome = await this.waitOn(key, name, options);
    const after = this.apply(key, name, { type: "get", after: true }).reply;
    if (after?.kind !== "wait") return this.answer(key, after, false);
    // A full cache evicted the entry while this Get waited: answer what the call brought.
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  private async waitOn(key: string, name: string, options: GetOptions | undefined): Promise<Outcome> {
    const signal = options?.signal;
    try {
      return await this.calls.run(
        key,
        (s) => this.call(key, name, options, s, true),
        signal ? { signal } : {},
      );
    } catch (e) {
      if (signal?.aborted) throw secretErrors.secretCallCancelled(this.instance, name, this.name);
      throw e;
    }
  }

  /**
   * Starts a background refresh of every value read since it was fetched whose TTL ends within the
   * refresh-ahead window, and ends stale windows that have run out. Returns how many refreshes started.
   */
  refreshDue(): number {
    let started = 0;
    for (const key of [...this.entries.keys()]) {
      const s = this.apply(key, nameOf(key), { type: "sweep", pinned: key.includes(PINNED) });
      if (!s.call) continue;
      started++;
      void this.startBackground(key).then((o) =>
        this.metrics.refreshAhead(this.instance, o.ok ? "ok" : "error"),
      );
    }
    return started;
  }

  /** Fetches `name` again now (a rotation event), only a name this cache holds; resolves once cached. */
  async refreshNow(name: string): Promise<boolean> {
    if (!this.entries.get(name)?.held) return false;
    await this.refresh(name);
    return true;
  }

  /**
   * Fetches again, now, every value held under a name `matches` accepts (a rotation event names the
   * secret as the vault knows it). Resolves with how many were refreshed once they are cached; rejects
   * when one could not be (the event is then read again later).
   */
  async refreshWhere(matches: (name: string) => boolean): Promise<number> {
    const keys = [...this.entries]
      .filter(([key, e]) => e.held && !key.includes(PINNED) && matches(key))
      .map(([key]) => key);
    await Promise.all(keys.map((k) => this.refresh(k)));
    return keys.length;
  }

  /** Resolves once every vault call running now has settled (tests wait on it with a fake clock). */
  settled(): Promise<void> {
    return this.calls.settled();
  }

  /** Sizes that must stay bounded whatever happens (tests). */
  get sizes(): { entries: number; calls: number; held: number } {
    return { entries: this.entries.size, calls: this.calls.size, held: this.book.size };
  }

  async list(options?: ListOptions): Promise<Map<string, SecretValue>> {
    const key = String(options?.maxResults ?? "all");
    const cached = this.listEntry?.key === key ? this.listEntry : undefined;
    if (cached && this.opts.now() - cached.fetchedAt < this.opts.ttlMs) return new Map(cached.value);
    const value = await this.lists.run(key, async () => {
      try {
        const value = await this.listFromSource(options);
        this.listEntry = { key, value, fetchedAt: this.opts.now() };
        return value;
      } catch (err) {
        if (cached && this.canServeStaleList(cached.fetchedAt, err)) {
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

  /**
   * A rotation event: waits for a call already running (it may have started before the new version
   * existed), then fetches again; fails when the vault did, so the event is not lost.
   */
  private async refresh(key: string): Promise<void> {
    while (this.calls.has(key)) await this.calls.get(key);
    const s = this.apply(key, key, { type: "rotation" });
    if (s.reply?.kind === "error") throw this.errorFor(key, s.reply);
    if (!s.call) return;
    const outcome = await this.startBackground(key);
    if (!outcome.ok) throw outcome.error;
  }

  /** A background call: kept to its end whoever else joins it (refresh-ahead, retry, rotation). */
  private startBackground(key: string): Promise<Outcome> {
    const pinned = key.includes(PINNED);
    const options: GetOptions | undefined = pinned
      ? { version: key.slice(key.indexOf(PINNED) + 1) }
      : undefined;
    return this.calls.run(key, (signal) => this.call(key, nameOf(key), options, signal, false), {
      keep: true,
    });
  }

  /** One vault call for `key`, unless a hold is in force; its outcome goes through the machine. */
  private async call(
    key: string,
    name: string,
    options: GetOptions | undefined,
    signal: AbortSignal,
    read: boolean,
  ): Promise<Outcome> {
    const now = this.opts.now();
    const hold = this.book.holdOn(key, now);
    if (hold) {
      this.metrics.retryAfterWait(this.instance);
      const error = this.heldError(name, hold.until - now, hold.error);
      this.apply(key, name, {
        type: "failure",
        error,
        transient: true,
        notBefore: hold.until,
        priorFailures: hold.count,
      });
      return { ok: false, error };
    }
    this.stats.sourceCalls++;
    try {
      const got = await this.load(name, { ...(options?.version && { version: options.version }), signal });
      this.metrics.keyVaultCall(this.instance, got === undefined ? "not_found" : "ok");
      this.book.release(key);
      this.apply(key, name, {
        type: "answer",
        found: got !== undefined,
        value: got?.value,
        ...(got?.version && { version: got.version }),
        read,
      });
      return { ok: true, value: got?.value };
    } catch (error) {
      if (signal.aborted) return { ok: false, error };
      this.metrics.keyVaultCall(this.instance, codeOf(error));
      this.failed(key, name, error);
      return { ok: false, error };
    }
  }

  private failed(key: string, name: string, error: unknown): void {
    const transient = isKeylessError(error) && error.transient;
    const retryAfterMs = isKeylessError(error) ? error.retryAfterMs : undefined;
    const s = this.apply(key, name, {
      type: "failure",
      error,
      transient,
      priorFailures: this.book.failuresOf(key),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
    if (retryAfterMs !== undefined) {
      this.metrics.keyVaultThrottled(this.instance, retryAfterMs);
      this.book.blockVault(this.opts.now() + retryAfterMs, error);
    }
    const failure = s.entry?.failure;
    if (transient && failure) this.book.hold(key, failure.retryAt, error, failure.count);
  }

  private async load(name: string, options: GetOptions): Promise<VersionedValue | undefined> {
    if (this.inner.getVersioned) return this.inner.getVersioned(name, options);
    const value = await this.inner.get(name, options);
    return value === undefined ? undefined : { value };
  }

  /** Runs one event through the machine, stores the entry it returns and acts on its notices. */
  private apply(key: string, name: string, ev: CacheEvent<Value>): Step<Value> {
    const s = step(this.entries.get(key), ev, this.stepContext(key));
    this.store(key, s.entry, ev.type === "answer");
    for (const n of s.notices) this.notice(name, n);
    return s;
  }

  private store(key: string, entry: Entry<Value> | undefined, renewed: boolean): void {
    if (!entry) {
      this.entries.delete(key);
      return;
    }
    // Oldest fetch first: an answer moves the entry to the end; a full cache drops its oldest.
    if (renewed) this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size <= this.opts.maxEntries) return;
    const oldest = this.entries.keys().next().value!;
    const evicted = step(this.entries.get(oldest), { type: "evict" }, this.stepContext(oldest));
    this.entries.delete(oldest);
    for (const n of evicted.notices) this.notice(nameOf(oldest), n);
  }

  private stepContext(key: string): StepContext {
    return {
      now: this.opts.now(),
      calling: this.calls.has(key),
      policy: this.policy,
      jitter: this.opts.jitter ?? Math.random,
    };
  }

  private answer(key: string, reply: Reply<Value> | undefined, count = true): Value {
    if (!reply || reply.kind === "wait") throw serverErrors.internal(`cache answer for ${nameOf(key)}`);
    if (reply.kind === "notFound") {
      if (count) this.hit();
      return undefined;
    }
    if (reply.kind === "error") throw this.errorFor(key, reply);
    if (reply.stale) {
      this.stats.staleServed++;
      this.metrics.cache(this.instance, "stale");
    } else if (count) this.hit();
    return reply.value;
  }

  private hit(): void {
    this.stats.hits++;
    this.metrics.cache(this.instance, "hit");
  }

  /** The error a Get is answered while the vault is not called: the last failure and when it is asked again. */
  private errorFor(key: string, reply: Extract<Reply<Value>, { kind: "error" }>): unknown {
    const waitMs = (reply.retryAt ?? 0) - this.opts.now();
    const failures = this.entries.get(key)?.failure?.count ?? 0;
    if (waitMs <= 0 || failures === 0) return reply.error;
    return this.heldError(nameOf(key), waitMs, reply.error, failures);
  }

  private heldError(name: string, waitMs: number, cause: unknown, failures = 0): unknown {
    const vault = this.book.vaultHold(this.opts.now());
    if (vault)
      return secretErrors.sourceBackingOff({
        instance: this.instance,
        source: this.name,
        name,
        waitMs: vault.until - this.opts.now(),
        cause: vault.error,
      });
    if (isKeylessError(cause) && cause.retryAfterMs !== undefined) {
      return secretErrors.sourceBackingOff({
        instance: this.instance,
        source: this.name,
        name,
        waitMs,
        cause,
      });
    }
    return secretErrors.sourceRetryLater({
      instance: this.instance,
      source: this.name,
      name,
      waitMs,
      failures: Math.max(1, failures),
      cause,
    });
  }

  private notice(name: string, n: Notice): void {
    const log = this.opts.log;
    const fields = { source: this.name, secretName: name };
    switch (n.kind) {
      case "rotated":
        // Names and versions only: the value never reaches a log line.
        log.info({ ...fields, version: n.version }, `secret ${name} rotated to version ${n.version}`);
        this.metrics.secretRotated(this.instance);
        return;
      case "staleStarted":
        this.metrics.staleServing(this.instance, 1);
        log.warn(
          { ...fields, ageMs: n.ageMs, code: codeOf(n.error), staleIfErrorMs: this.opts.staleIfErrorMs },
          `secret ${name}: serving a cached value past its TTL; the source is failing`,
        );
        return;
      case "staleEnded":
        this.metrics.staleServing(this.instance, -1);
        if (n.how === "recovered") {
          log.info(fields, `secret ${name}: the source answers again; stale serving ended`);
        } else {
          log.warn(
            { ...fields, how: n.how },
            `secret ${name}: stopped serving a cached value past its TTL (${STALE_END[n.how]})`,
          );
        }
    }
  }

  private async listFromSource(options?: ListOptions): Promise<Map<string, SecretValue>> {
    const now = this.opts.now();
    const vault = this.book.vaultHold(now);
    if (vault) {
      this.metrics.retryAfterWait(this.instance);
      throw secretErrors.sourceBackingOff({
        instance: this.instance,
        source: this.name,
        waitMs: vault.until - now,
        cause: vault.error,
      });
    }
    this.stats.sourceCalls++;
    try {
      const value = await this.inner.list(options);
      this.metrics.keyVaultCall(this.instance, "ok");
      return value;
    } catch (err) {
      this.metrics.keyVaultCall(this.instance, codeOf(err));
      if (isKeylessError(err) && err.retryAfterMs !== undefined) {
        this.metrics.keyVaultThrottled(this.instance, err.retryAfterMs);
        this.book.blockVault(this.opts.now() + err.retryAfterMs, err);
      }
      throw err;
    }
  }

  private canServeStaleList(fetchedAt: number, err: unknown): boolean {
    return isKeylessError(err) && err.transient && isServable({ fetchedAt }, this.opts.now(), this.policy);
  }
}

const STALE_END = {
  ranOut: "its staleIfError window ended; the source's error is answered",
  notFound: "the source no longer has it",
  refused: "the source refused the call; the error is answered",
  evicted: "evicted from a full cache",
  recovered: "the source answers again",
} as const;

const nameOf = (key: string) => (key.includes(PINNED) ? key.slice(0, key.indexOf(PINNED)) : key);

function codeOf(err: unknown): string {
  return isKeylessError(err) ? err.code : "UNKNOWN";
}
