/**
 * The life of one cached secret, as a pure reducer: `step(entry, event, context)` returns the next entry,
 * what a Get is answered, whether a vault call starts, and the notices to log. CachedSource (cache.ts)
 * runs the calls and the clock; every decision about time and order is made here, so it can be tested
 * with generated event sequences against a reference model (test/unit/secrets/cacheModel.test.ts).
 *
 * Phases (derived from the entry, the clock and whether a call is in flight; see phaseOf):
 *
 * | phase        | what it means                                         | Get answers                    |
 * |--------------|-------------------------------------------------------|--------------------------------|
 * | empty        | nothing known                                         | waits on a new call            |
 * | fresh        | a value younger than cacheTTL                         | the value                      |
 * | expired      | a value past cacheTTL, the vault has not failed       | waits on a new call            |
 * | refreshing   | a call is in flight                                   | a servable value, else waits   |
 * | staleServing | past cacheTTL, within staleIfError, the vault failing | the value; a retry once due    |
 * | throttled    | the vault asked to wait (Retry-After)                 | a servable value, else error   |
 * | failed       | no servable value, the vault failing                  | the error until the retry time |
 * | negative     | the vault said "not here", within negativeCacheTTL    | not found                      |
 *
 * "Servable" means younger than cacheTTL + staleIfError: no value is ever answered past that bound.
 * Events: get, sweep (refresh-ahead and the end of stale windows), rotation, answer, failure, evict.
 * - answer: fresh (or negative), the failure count reset;
 * - transient failure: retry no sooner than backoffMs(count) (1, 2, 4, 8, 16 s, capped, +0-25 % jitter)
 *   or the Retry-After, whichever is later; a non-transient one (403, 401 after renewal) drops the value
 *   and is answered at once, and the next Get asks the vault again, so a fixed role is seen at once;
 * - notices: one staleStarted when an entry is first answered past its TTL, one staleEnded when it
 *   recovers or its window runs out (never one a second).
 */

export interface CachePolicy {
  ttlMs: number;
  staleIfErrorMs: number;
  negativeTtlMs: number;
  /** Refresh-ahead window before the TTL ends; 0 turns refresh-ahead off. */
  aheadMs: number;
}

export interface Held<V> {
  value: V;
  fetchedAt: number;
  version?: string;
}

export interface Failure {
  error: unknown;
  /** Consecutive transient failures since the last answer (0 for a non-transient one). */
  count: number;
  /** No vault call for this secret before this time. */
  retryAt: number;
  /** retryAt comes from the vault's own Retry-After. */
  throttled: boolean;
}

export interface Entry<V> {
  held?: Held<V>;
  negativeAt?: number;
  failure?: Failure;
  /** Read since it was fetched (refresh-ahead keeps only such values fresh). */
  read: boolean;
  /** Read while a call was in flight: the value that call brings counts as read. */
  readWhileCalling?: boolean;
  /** A staleStarted notice is out and no staleEnded yet. */
  servingStale: boolean;
}

export type Phase =
  "empty" | "fresh" | "expired" | "refreshing" | "staleServing" | "throttled" | "failed" | "negative";

export type CacheEvent<V> =
  /** after: the Get already waited on a call; it never starts another one. */
  | { type: "get"; after?: boolean }
  /** pinned: a specific version (never refreshed ahead: it cannot change). */
  | { type: "sweep"; pinned: boolean }
  | { type: "rotation" }
  | { type: "answer"; found: boolean; value?: V; version?: string; read: boolean }
  /**
   * notBefore: a retry time another cache of the same vault set; priorFailures: how many failed in a row
   * before, as far as any cache sharing the vault knows (an evicted entry forgets its own count).
   */
  | {
      type: "failure";
      error: unknown;
      transient: boolean;
      retryAfterMs?: number;
      notBefore?: number;
      priorFailures?: number;
    }
  | { type: "evict" };

export type Reply<V> =
  | { kind: "value"; value: V; stale: boolean }
  | { kind: "notFound" }
  | { kind: "error"; error: unknown; retryAt?: number }
  | { kind: "wait" };

export type Notice =
  | { kind: "staleStarted"; ageMs: number; error: unknown }
  | { kind: "staleEnded"; how: "recovered" | "ranOut" | "notFound" | "refused" | "evicted" }
  | { kind: "rotated"; version: string };

export interface Step<V> {
  entry: Entry<V> | undefined;
  reply?: Reply<V>;
  call?: "foreground" | "background";
  notices: Notice[];
}

export interface StepContext {
  now: number;
  /** A call for this secret is in flight. */
  calling: boolean;
  policy: CachePolicy;
  /** A number in [0, 1) that spreads retries (Math.random in production). */
  jitter: () => number;
}

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 16_000;
const JITTER = 0.25;

/** The shortest pause after `count` consecutive transient failures (before jitter). */
export function backoffFloorMs(count: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, count - 1));
}

/** The pause after `count` consecutive transient failures: the floor plus up to 25 % jitter. */
export function backoffMs(count: number, jitter: number): number {
  return Math.round(backoffFloorMs(count) * (1 + JITTER * jitter));
}

const isFresh = (h: { fetchedAt: number } | undefined, now: number, p: CachePolicy): boolean =>
  h !== undefined && now < h.fetchedAt + p.ttlMs;

export const isServable = (h: { fetchedAt: number } | undefined, now: number, p: CachePolicy): boolean =>
  h !== undefined && now < h.fetchedAt + p.ttlMs + p.staleIfErrorMs;

export function phaseOf<V>(e: Entry<V> | undefined, ctx: StepContext): Phase {
  const { now, policy: p } = ctx;
  if (ctx.calling) return "refreshing";
  if (!e) return "empty";
  if (e.negativeAt !== undefined && now < e.negativeAt + p.negativeTtlMs) return "negative";
  if (isFresh(e.held, now, p)) return "fresh";
  const f = e.failure;
  if (f?.throttled && now < f.retryAt) return "throttled";
  if (f && f.count > 0 && isServable(e.held, now, p)) return "staleServing";
  if (f) return "failed";
  return e.held ? "expired" : "empty";
}

export function step<V>(e: Entry<V> | undefined, ev: CacheEvent<V>, ctx: StepContext): Step<V> {
  switch (ev.type) {
    case "get":
      return onGet(e, ev.after ?? false, ctx);
    case "sweep":
      return onSweep(e, ev.pinned, ctx);
    case "rotation":
      return onRotation(e, ctx);
    case "answer":
      return onAnswer(e, ev, ctx);
    case "failure":
      return onFailure(e, ev, ctx);
    case "evict":
      return { entry: undefined, notices: e?.servingStale ? [{ kind: "staleEnded", how: "evicted" }] : [] };
  }
}

const blank = <V>(): Entry<V> => ({ read: false, servingStale: false });

/** The entry with no value to answer (past its bound, or the vault refused): only its failure and reads. */
function withoutValue<V>(e: Entry<V>): Entry<V> {
  return {
    read: e.read,
    servingStale: e.servingStale,
    ...(e.failure && { failure: e.failure }),
    ...(e.readWhileCalling && { readWhileCalling: true }),
  };
}

function onGet<V>(e: Entry<V> | undefined, after: boolean, ctx: StepContext): Step<V> {
  const phase = phaseOf(e, ctx);
  const entry: Entry<V> = {
    ...(e ?? blank<V>()),
    read: true,
    ...(ctx.calling && { readWhileCalling: true }),
  };
  switch (phase) {
    case "fresh":
      return serve(entry, ctx);
    case "negative":
      return { entry, reply: { kind: "notFound" }, notices: [] };
    case "refreshing":
      return isServable(entry.held, ctx.now, ctx.policy)
        ? serve(entry, ctx)
        : { entry, reply: { kind: "wait" }, notices: [] };
    case "staleServing": {
      const served = serve(entry, ctx);
      return ctx.now >= entry.failure!.retryAt && !after ? { ...served, call: "background" } : served;
    }
    case "throttled":
      return isServable(entry.held, ctx.now, ctx.policy) ? serve(entry, ctx) : refuse(entry);
    case "failed":
      return after || ctx.now < entry.failure!.retryAt
        ? refuse(entry)
        : { entry, reply: { kind: "wait" }, call: "foreground", notices: [] };
    case "empty":
    case "expired":
      return { entry, reply: { kind: "wait" }, call: "foreground", notices: [] };
  }
}

/** Answers the held value (servable by the caller's check), with a notice when it is the first stale one. */
function serve<V>(entry: Entry<V>, ctx: StepContext): Step<V> {
  const held = entry.held!;
  const stale = !isFresh(held, ctx.now, ctx.policy);
  const reply: Reply<V> = { kind: "value", value: held.value, stale };
  if (!stale || entry.servingStale) return { entry, reply, notices: [] };
  const notice: Notice = {
    kind: "staleStarted",
    ageMs: ctx.now - held.fetchedAt,
    error: entry.failure?.error,
  };
  return { entry: { ...entry, servingStale: true }, reply, notices: [notice] };
}

/** Answers the last failure; a value past its bound is dropped, and a stale window that was open ends. */
function refuse<V>(entry: Entry<V>): Step<V> {
  const next: Entry<V> = { ...withoutValue(entry), servingStale: false };
  const retryAt = entry.failure?.retryAt;
  const reply: Reply<V> = {
    kind: "error",
    error: entry.failure?.error,
    ...(retryAt !== undefined && { retryAt }),
  };
  return { entry: next, reply, notices: entry.servingStale ? [{ kind: "staleEnded", how: "ranOut" }] : [] };
}

function onSweep<V>(e: Entry<V> | undefined, pinned: boolean, ctx: StepContext): Step<V> {
  if (!e) return { entry: e, notices: [] };
  const { now, policy: p } = ctx;
  if (e.servingStale && !isServable(e.held, now, p)) {
    return {
      entry: { ...withoutValue(e), servingStale: false },
      notices: [{ kind: "staleEnded", how: "ranOut" }],
    };
  }
  const phase = phaseOf(e, ctx);
  if (phase === "expired" && !e.read) return { entry: undefined, notices: [] };
  if ((phase === "empty" || phase === "expired") && e.negativeAt !== undefined) {
    return { entry: undefined, notices: [] };
  }
  const due =
    phase === "fresh" &&
    p.aheadMs > 0 &&
    e.read &&
    !pinned &&
    now >= e.held!.fetchedAt + p.ttlMs - p.aheadMs &&
    (!e.failure || now >= e.failure.retryAt);
  return due ? { entry: e, call: "background", notices: [] } : { entry: e, notices: [] };
}

function onRotation<V>(e: Entry<V> | undefined, ctx: StepContext): Step<V> {
  if (!e?.held) return { entry: e, notices: [] };
  if (e.failure && ctx.now < e.failure.retryAt) {
    return {
      entry: e,
      reply: { kind: "error", error: e.failure.error, retryAt: e.failure.retryAt },
      notices: [],
    };
  }
  return { entry: e, call: "background", notices: [] };
}

function onAnswer<V>(
  e: Entry<V> | undefined,
  ev: Extract<CacheEvent<V>, { type: "answer" }>,
  ctx: StepContext,
): Step<V> {
  const notices: Notice[] = [];
  if (!ev.found) {
    if (e?.servingStale) notices.push({ kind: "staleEnded", how: "notFound" });
    return { entry: { negativeAt: ctx.now, read: false, servingStale: false }, notices };
  }
  if (e?.servingStale) notices.push({ kind: "staleEnded", how: "recovered" });
  const before = e?.held?.version;
  if (before && ev.version && before !== ev.version) notices.push({ kind: "rotated", version: ev.version });
  const held: Held<V> = {
    value: ev.value as V,
    fetchedAt: ctx.now,
    ...(ev.version && { version: ev.version }),
  };
  return { entry: { held, read: ev.read || (e?.readWhileCalling ?? false), servingStale: false }, notices };
}

function onFailure<V>(
  e: Entry<V> | undefined,
  ev: Extract<CacheEvent<V>, { type: "failure" }>,
  ctx: StepContext,
): Step<V> {
  const { now, policy: p } = ctx;
  const entry = e ?? blank<V>();
  if (!ev.transient) {
    // A refresh ahead refused while the value is still within its TTL: the TTL still stands.
    if (isFresh(entry.held, now, p)) return { entry, notices: [] };
    const failure: Failure = { error: ev.error, count: 0, retryAt: now, throttled: false };
    const notices: Notice[] = entry.servingStale ? [{ kind: "staleEnded", how: "refused" }] : [];
    return { entry: { failure, read: entry.read, servingStale: false }, notices };
  }
  const count = Math.max(entry.failure?.count ?? 0, ev.priorFailures ?? 0) + 1;
  const retryAt = Math.max(
    now + backoffMs(count, ctx.jitter()),
    now + (ev.retryAfterMs ?? 0),
    ev.notBefore ?? 0,
  );
  const failure: Failure = { error: ev.error, count, retryAt, throttled: ev.retryAfterMs !== undefined };
  if (isServable(entry.held, now, p)) return { entry: { ...entry, failure }, notices: [] };
  const notices: Notice[] = entry.servingStale ? [{ kind: "staleEnded", how: "ranOut" }] : [];
  return { entry: { ...withoutValue(entry), failure, servingStale: false }, notices };
}
