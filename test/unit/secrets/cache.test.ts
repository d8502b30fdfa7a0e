import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { CachedSource } from "../../../src/secrets/cache.js";
import { secretErrors } from "../../../src/errors/secrets.js";
import type { SecretSource } from "../../../src/secrets/source.js";
import { VaultCallBook } from "../../../src/secrets/vaultCallBook.js";
import { noMetrics, type Metrics } from "../../../src/observability/metrics.js";
import { Writable } from "node:stream";
import { liveHeap } from "../../helpers/liveHeap.js";

function fakeSource() {
  const state = {
    calls: 0,
    value: "v1" as string | undefined,
    fail: undefined as Error | undefined,
    delayMs: 5,
  };
  const source: SecretSource = {
    name: "fake",
    async get() {
      state.calls++;
      await new Promise((r) => setTimeout(r, state.delayMs));
      if (state.fail) throw state.fail;
      return state.value;
    },
    async list() {
      state.calls++;
      if (state.fail) throw state.fail;
      return new Map([["a", state.value ?? ""]]);
    },
  };
  return { source, state };
}

const transient = () =>
  secretErrors.sourceFailed({
    instance: "i",
    source: "fake",
    name: "s",
    reason: "the vault answered HTTP 503",
    transient: true,
  });
const throttled = (ms: number) =>
  secretErrors.sourceFailed({
    instance: "i",
    source: "fake",
    name: "s",
    reason: "throttled",
    transient: true,
    retryAfterMs: ms,
  });

describe("CachedSource", () => {
  let clock = 1_000_000;
  const make = () => {
    const f = fakeSource();
    const c = new CachedSource(f.source, {
      ttlMs: 1000,
      staleIfErrorMs: 5000,
      negativeTtlMs: 200,
      maxEntries: 3,
      now: () => clock,
      log: pino({ level: "silent" }),
    });
    return { ...f, c };
  };

  it("makes one source call for a burst of concurrent misses", async () => {
    const { c, state } = make();
    const results = await Promise.all(Array.from({ length: 1000 }, () => c.get("s")));
    expect(new Set(results)).toEqual(new Set(["v1"]));
    expect(state.calls).toBe(1);
  });

  it("serves from cache within the TTL and refetches after it", async () => {
    const { c, state } = make();
    await c.get("s");
    clock += 999;
    await c.get("s");
    expect(state.calls).toBe(1);
    clock += 2;
    state.value = "v2";
    expect(await c.get("s")).toBe("v2");
    expect(state.calls).toBe(2);
  });

  it("caches 'not here' for the short negative TTL", async () => {
    const { c, state } = make();
    state.value = undefined;
    expect(await c.get("s")).toBeUndefined();
    expect(await c.get("s")).toBeUndefined();
    expect(state.calls).toBe(1);
    clock += 201;
    await c.get("s");
    expect(state.calls).toBe(2);
  });

  it("serves a stale value on a transient failure within the stale bound, and not beyond", async () => {
    const { c, state } = make();
    await c.get("s");
    state.fail = transient();
    clock += 1500;
    expect(await c.get("s")).toBe("v1");
    expect(c.stats.staleServed).toBe(1);
    clock += 5000;
    await expect(c.get("s")).rejects.toMatchObject({ code: "SOURCE_FAILED" });
  });

  it("never serves stale values when the failure is not transient (e.g. permission removed)", async () => {
    const { c, state } = make();
    await c.get("s");
    state.fail = secretErrors.sourceFailed({ instance: "i", source: "fake", name: "s", reason: "403" });
    clock += 1500;
    await expect(c.get("s")).rejects.toMatchObject({ code: "SOURCE_FAILED" });
  });

  it("does not call the source again before Retry-After has passed", async () => {
    const { c, state } = make();
    state.fail = throttled(3000);
    await expect(c.get("x")).rejects.toMatchObject({ retryAfterMs: 3000 });
    await expect(c.get("y")).rejects.toMatchObject({ retryAfterMs: 3000 });
    expect(state.calls).toBe(1);
    clock += 3001;
    state.fail = undefined;
    expect(await c.get("y")).toBe("v1");
    expect(state.calls).toBe(2);
  });

  it("keeps at most maxEntries values", async () => {
    const { c, state } = make();
    for (const n of ["a", "b", "c", "d"]) await c.get(n);
    expect(state.calls).toBe(4);
    await c.get("a");
    expect(state.calls).toBe(5);
  });

  it("caches and stale-serves bulk lists", async () => {
    const { c, state } = make();
    await c.list();
    await c.list();
    expect(state.calls).toBe(1);
    state.fail = transient();
    clock += 1500;
    expect([...(await c.list()).keys()]).toEqual(["a"]);
  });

  it("while a Retry-After runs, names the secret asked for, not the one that was throttled", async () => {
    const { c, state } = make();
    state.fail = secretErrors.sourceFailed({
      instance: "i",
      source: "fake",
      name: "kv-charlie",
      reason: "the vault is throttling requests (HTTP 429, retry after 3s)",
      transient: true,
      retryAfterMs: 3000,
    });
    await expect(c.get("kv-charlie")).rejects.toThrow(/kv-charlie/);
    const err = await c.get("kv-bravo").catch((e: Error) => e);
    expect((err as Error).message).toContain('secret "kv-bravo"');
    expect((err as Error).message).not.toContain("kv-charlie");
    expect((err as Error).message).toContain("throttling requests (HTTP 429");
    expect(err).toMatchObject({ code: "SOURCE_FAILED", transient: true, retryAfterMs: 3000 });
    // A listing inside the window names no secret at all.
    const listErr = await c.list().catch((e: Error) => e);
    expect((listErr as Error).message).not.toContain("kv-charlie");
    expect(state.calls).toBe(1);
  });

  it("never caches a failed listing: the next call asks the source again", async () => {
    const { c, state } = make();
    state.fail = transient();
    await expect(c.list()).rejects.toMatchObject({ code: "SOURCE_FAILED" });
    state.fail = undefined;
    expect([...(await c.list()).keys()]).toEqual(["a"]);
    expect(state.calls).toBe(2);
  });
});

/** A vault on a fake clock that answers at once, or fails as told; records when it was called. */
function clockedVault() {
  const v = {
    now: 1_000_000,
    mode: "up" as "up" | "down" | "missing",
    calls: [] as number[],
    signals: [] as AbortSignal[],
    gate: undefined as Promise<void> | undefined,
  };
  const source: SecretSource = {
    name: "keyvault(test)",
    get: async () => undefined,
    list: async () => new Map(),
    async getVersioned(_name, options) {
      v.calls.push(v.now);
      // Kept only while a test holds calls open, so the memory test measures the cache, not this list.
      if (options?.signal && v.gate) v.signals.push(options.signal);
      await v.gate;
      if (v.mode === "down") throw transient();
      return v.mode === "missing" ? undefined : { value: "v1", version: "1" };
    },
  };
  return { v, source };
}

function logLines() {
  const lines: { msg: string; level: number }[] = [];
  const log = pino(
    { level: "info" },
    new Writable({
      write(c: Buffer, _e, done) {
        for (const l of c.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as never);
        done();
      },
    }),
  );
  return { lines, log };
}

describe("CachedSource in an outage (the cases users reported)", () => {
  const cacheOn = (
    source: SecretSource,
    now: () => number,
    ttlMs: number,
    staleIfErrorMs: number,
    extra: Partial<ConstructorParameters<typeof CachedSource>[1]> = {},
  ) =>
    new CachedSource(source, {
      ttlMs,
      staleIfErrorMs,
      negativeTtlMs: 1_000,
      maxEntries: 100,
      now,
      instance: "kv",
      log: pino({ level: "silent" }),
      jitter: () => 0,
      ...extra,
    });

  it("cacheTTL 2s, staleIfError 0s, a Get a second through a 15 s outage: no value past 2 s, no flip-flop, calls back off", async () => {
    const { v, source } = clockedVault();
    const c = cacheOn(source, () => v.now, 2_000, 0);
    const answers: string[] = [];
    expect(await c.get("s")).toBe("v1");
    v.mode = "down";
    for (let t = 1; t <= 15; t++) {
      v.now += 1_000;
      answers.push(
        await c.get("s").then(
          () => "200",
          () => "500",
        ),
      );
    }
    // t=1 s is within the TTL; from 2 s on every answer is the error, never the old value again.
    expect(answers).toEqual(["200", ...Array<string>(14).fill("500")]);
    // One call at start, then after the TTL at 2 s, then 1, 2, 4, 8 s apart: 3 s, 5 s, 9 s (17 s is past the end).
    expect(v.calls.map((t) => (t - 1_000_000) / 1000)).toEqual([0, 2, 3, 5, 9]);
  });

  it("cacheTTL 2s, staleIfError 5s: the old value until 7 s, then the error; one warning as it starts and one as it ends", async () => {
    const { v, source } = clockedVault();
    const { lines, log } = logLines();
    let stale = 0;
    const metrics: Metrics = { ...noMetrics, staleServing: (_i, d) => void (stale += d) };
    const c = cacheOn(source, () => v.now, 2_000, 5_000, { log, metrics });
    await c.get("s");
    v.mode = "down";
    const answers: string[] = [];
    for (let t = 1; t <= 12; t++) {
      v.now += 1_000;
      answers.push(
        await c.get("s").then(
          () => "200",
          () => "500",
        ),
      );
      if (t === 4) expect(stale).toBe(1);
    }
    expect(answers).toEqual([...Array<string>(6).fill("200"), ...Array<string>(6).fill("500")]);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toEqual([
      "secret s: serving a cached value past its TTL; the source is failing",
      "secret s: stopped serving a cached value past its TTL (its staleIfError window ended; the source's error is answered)",
    ]);
    expect(stale).toBe(0);
  });

  it("production values (cacheTTL 5m, staleIfError 1h), a 2-hour outage, a Get a second: the value until 65 min, then the error, and vault calls at most every 16 s", async () => {
    const { v, source } = clockedVault();
    const c = cacheOn(source, () => v.now, 300_000, 3_600_000);
    await c.get("s");
    const fetchedAt = v.now;
    v.mode = "down";
    const answers: { at: number; ok: boolean }[] = [];
    for (let t = 1; t <= 7_200; t++) {
      v.now += 1_000;
      answers.push({
        at: v.now,
        ok: await c.get("s").then(
          () => true,
          () => false,
        ),
      });
    }
    const bound = fetchedAt + 300_000 + 3_600_000;
    expect(answers.filter((a) => a.ok).every((a) => a.at < bound)).toBe(true);
    expect(answers.filter((a) => !a.ok).every((a) => a.at >= bound)).toBe(true);
    const outageCalls = v.calls.slice(1);
    // The first failed call comes when the TTL ends; after that the steps grow to 16 s and stay there.
    for (let i = 1; i < outageCalls.length; i++) {
      expect(outageCalls[i]! - outageCalls[i - 1]!).toBeGreaterThanOrEqual(
        Math.min(16_000, 1_000 * 2 ** (i - 1)),
      );
    }
    expect(outageCalls.length).toBeLessThanOrEqual(Math.ceil((7_200_000 - 300_000) / 16_000) + 5);
  });

  it("the error answered during a backoff names the store, the secret, the source and when the vault is asked again", async () => {
    const { v, source } = clockedVault();
    const c = cacheOn(source, () => v.now, 2_000, 0);
    v.mode = "down";
    await expect(c.get("db-password")).rejects.toThrow();
    v.now += 500;
    const err = (await c.get("db-password").catch((e: Error) => e)) as Error;
    expect(err.message).toBe(
      'secret store "kv": source keyvault(test) failed for secret "db-password": the vault answered HTTP 503; ' +
        "keyless asks the vault again in 1s (backing off after 1 failed call)",
    );
    expect(v.calls).toHaveLength(1);
  });

  it("two instances of one vault and identity make one call per backoff step between them", async () => {
    const { v, source } = clockedVault();
    const book = new VaultCallBook();
    const a = cacheOn(source, () => v.now, 2_000, 0, { book, instance: "a" });
    const b = cacheOn(source, () => v.now, 2_000, 0, { book, instance: "b" });
    v.mode = "down";
    for (let t = 0; t < 20; t++) {
      await a.get("s").catch(() => undefined);
      await b.get("s").catch(() => undefined);
      v.now += 500;
    }
    // 0 s, then 1, 2, 4 s apart (the second instance's calls are held by the first one's retry time).
    expect(v.calls.map((t) => (t - 1_000_000) / 1000)).toEqual([0, 1, 3, 7]);
  });

  it("a Get whose caller gives up is released at once; the vault call is aborted when nobody waits for it", async () => {
    const { v, source } = clockedVault();
    const c = cacheOn(source, () => v.now, 2_000, 0);
    let open!: () => void;
    v.gate = new Promise((r) => (open = r));
    const first = new AbortController();
    const second = new AbortController();
    const p1 = c.get("s", { signal: first.signal });
    const p2 = c.get("s", { signal: second.signal });
    first.abort();
    await expect(p1).rejects.toMatchObject({
      code: "SOURCE_FAILED",
      message: expect.stringContaining("cancelled"),
    });
    expect(v.signals[0]!.aborted).toBe(false); // the second caller still waits
    second.abort();
    await expect(p2).rejects.toThrow(/cancelled/);
    expect(v.signals[0]!.aborted).toBe(true);
    open();
    await c.settled();
    // Nothing was learnt from the aborted call: no backoff, the next Get asks again.
    expect(await c.get("s")).toBe("v1");
    expect(v.calls).toHaveLength(2);
  });

  it("a refresh the cache keeps for itself is not aborted when the Gets that joined it leave", async () => {
    const { v, source } = clockedVault();
    const c = cacheOn(source, () => v.now, 300_000, 0, { refreshAhead: "manual" });
    await c.get("s");
    let open!: () => void;
    v.gate = new Promise((r) => (open = r));
    v.now += 240_000;
    expect(c.refreshDue()).toBe(1);
    v.now += 70_000; // past the TTL, no stale window: a Get waits on the refresh
    const leaving = new AbortController();
    const p = c.get("s", { signal: leaving.signal });
    leaving.abort();
    await expect(p).rejects.toThrow(/cancelled/);
    expect(v.signals[0]!.aborted).toBe(false);
    open();
    await c.settled();
    expect(await c.get("s")).toBe("v1");
    expect(v.calls).toHaveLength(2);
  });

  it("many unique missing names keep the cache within its cap, and the live heap with it", async () => {
    const { v, source } = clockedVault();
    v.mode = "missing";
    const c = cacheOn(source, () => v.now, 300_000, 3_600_000, { maxEntries: 1_000 });
    for (let i = 0; i < 2_000; i++) await c.get(`warmup-${i}`);
    const before = liveHeap();
    for (let i = 0; i < 50_000; i++) await c.get(`missing-${i}-${"x".repeat(64)}`);
    expect(c.sizes).toEqual({ entries: 1_000, calls: 0, held: 0 });
    // 50,000 kept names of ~80 bytes would be several MiB; a capped cache stays where it was.
    expect(liveHeap() - before).toBeLessThan(2 * 1024 * 1024);
  });
});

describe("CachedSource: shrunk counterexamples of the model test", () => {
  it("a Get whose entry a full cache evicted while it waited asks once more instead of failing", async () => {
    const { v, source } = clockedVault();
    let open!: () => void;
    v.gate = new Promise((r) => (open = r));
    const c = new CachedSource(source, {
      ttlMs: 300_000,
      staleIfErrorMs: 0,
      negativeTtlMs: 1_000,
      maxEntries: 1,
      now: () => v.now,
      log: pino({ level: "silent" }),
    });
    const a = c.get("a");
    const b = c.get("b"); // a full cache of one: "a" makes way
    open();
    expect(await Promise.all([a, b])).toEqual(["v1", "v1"]);
  });

  it("an entry evicted during a backoff keeps its failure count (the vault book remembers it)", async () => {
    const { v, source } = clockedVault();
    const c = new CachedSource(source, {
      ttlMs: 300_000,
      staleIfErrorMs: 0,
      negativeTtlMs: 1_000,
      maxEntries: 1,
      now: () => v.now,
      log: pino({ level: "silent" }),
      jitter: () => 0,
    });
    v.mode = "down";
    await c.get("b").catch(() => undefined); // 1 failure
    v.now += 1_000;
    await c.get("b").catch(() => undefined); // 2 failures: next not before 2 s
    await c.get("other").catch(() => undefined); // evicts b
    v.now += 1_000;
    await c.get("b").catch(() => undefined); // held: 1 s after the second failure
    const bCalls = v.calls.filter((_t, i) => i !== 2);
    expect(bCalls.map((t) => t - 1_000_000)).toEqual([0, 1_000]);
  });

  it("stale serving ends once when a retry the stale window started is refused (403)", async () => {
    const { lines, log } = logLines();
    let mode: "up" | "throttle" | "forbidden" = "up";
    let now = 1_000_000;
    const source: SecretSource = {
      name: "keyvault(test)",
      get: async () => undefined,
      list: async () => new Map(),
      async getVersioned() {
        if (mode === "throttle") throw throttled(7_000);
        if (mode === "forbidden")
          throw secretErrors.sourceFailed({ instance: "i", source: "fake", name: "a", reason: "HTTP 403" });
        return { value: "a-v1", version: "1" };
      },
    };
    const c = new CachedSource(source, {
      ttlMs: 300_000,
      staleIfErrorMs: 3_600_000,
      negativeTtlMs: 10_000,
      maxEntries: 3,
      now: () => now,
      log,
      refreshAhead: "manual",
    });
    await c.get("a");
    mode = "throttle";
    await expect(c.refreshWhere((n) => n === "a")).rejects.toMatchObject({ retryAfterMs: 7_000 });
    mode = "forbidden";
    now += 300_000;
    expect(await c.get("a")).toBe("a-v1");
    await c.settled();
    await expect(c.get("a")).rejects.toThrow(/HTTP 403/);
    expect(lines.filter((l) => l.msg.includes("past its TTL")).map((l) => l.msg)).toEqual([
      "secret a: serving a cached value past its TTL; the source is failing",
      "secret a: stopped serving a cached value past its TTL (the source refused the call; the error is answered)",
    ]);
  });
});
