import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Writable } from "node:stream";
import { liveHeap } from "../../helpers/liveHeap.js";
import { CachedSource } from "../../../src/secrets/cache.js";
import { refreshAheadMs, sweepEveryMs } from "../../../src/secrets/refreshAhead.js";
import { noMetrics, type Metrics } from "../../../src/observability/metrics.js";
import type { SecretSource } from "../../../src/secrets/source.js";

const DEFAULT_CACHE_TTL = 300_000;

function setup(ttlMs = DEFAULT_CACHE_TTL, staleIfErrorMs = 0) {
  let now = 1_000_000;
  const vault = { value: "canary-v1", version: "v1", calls: 0, gate: undefined as Promise<void> | undefined };
  const source: SecretSource = {
    name: "keyvault(test)",
    get: async () => vault.value,
    list: async () => new Map(),
    async getVersioned() {
      vault.calls++;
      const answer = { value: vault.value, version: vault.version };
      await vault.gate;
      return answer;
    },
  };
  const lines: string[] = [];
  const log = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const rotations: string[] = [];
  const metrics: Metrics = { ...noMetrics, secretRotated: (i) => void rotations.push(i) };
  const cache = new CachedSource(source, {
    ttlMs,
    staleIfErrorMs,
    negativeTtlMs: 10_000,
    maxEntries: 100,
    now: () => now,
    instance: "kv",
    log,
    metrics,
    refreshAhead: "manual",
  });
  return { cache, vault, lines, rotations, advance: (ms: number) => (now += ms) };
}

/** A value read, a new version in the vault, a refresh ahead that hangs, and the TTL ending meanwhile. */
async function slowRefreshPastTtl(world: ReturnType<typeof setup>) {
  const { cache, vault, advance } = world;
  await cache.get("db");
  let open!: () => void;
  vault.gate = new Promise((r) => (open = r));
  vault.value = "canary-v2";
  vault.version = "v2";
  advance(240_000);
  cache.refreshDue();
  advance(70_000); // the TTL ended while the vault is still answering
  return { ...world, open };
}

describe("refresh-ahead", () => {
  it("with the default cacheTTL (5 minutes) refreshes from 4 minutes on, sweeping every 10 seconds", () => {
    expect(refreshAheadMs(DEFAULT_CACHE_TTL)).toBe(60_000);
    expect(sweepEveryMs(DEFAULT_CACHE_TTL)).toBe(10_000);
    expect(refreshAheadMs(3_000)).toBe(600);
  });

  it("refreshes a value read recently before its TTL ends, so the Get after the TTL is a hit", async () => {
    const { cache, vault, advance } = setup();
    expect(await cache.get("db")).toBe("canary-v1");
    expect(await cache.get("db")).toBe("canary-v1");
    advance(239_999);
    expect(cache.refreshDue()).toBe(0);
    advance(1);
    expect(cache.refreshDue()).toBe(1);
    await cache.settled();
    expect(vault.calls).toBe(2);
    advance(60_001); // past the first fetch's TTL
    expect(await cache.get("db")).toBe("canary-v1");
    expect(vault.calls).toBe(2);
    expect(cache.stats.misses).toBe(1);
  });

  it("leaves a value nobody read since it was fetched to expire", async () => {
    const { cache, vault, advance } = setup();
    await cache.get("db");
    advance(240_000);
    expect(cache.refreshDue()).toBe(1);
    await cache.settled();
    advance(240_000);
    // The refreshed value was not read: it is not refreshed again.
    expect(cache.refreshDue()).toBe(0);
    expect(vault.calls).toBe(2);
  });

  it("logs and counts a new version, by name and version only", async () => {
    const { cache, vault, lines, rotations, advance } = setup();
    await cache.get("db");
    vault.value = "canary-v2";
    vault.version = "v2";
    advance(240_000);
    cache.refreshDue();
    await cache.settled();
    expect(lines.some((l) => l.includes("secret db rotated to version v2"))).toBe(true);
    expect(lines.join("\n")).not.toContain("canary-v");
    expect(rotations).toEqual(["kv"]);
    advance(1);
    expect(await cache.get("db")).toBe("canary-v2");
  });

  it("answers the current value while a slow refresh runs past the TTL, within staleIfError", async () => {
    const { cache, vault, open } = await slowRefreshPastTtl(setup(DEFAULT_CACHE_TTL, 3_600_000));
    expect(await cache.get("db")).toBe("canary-v1");
    open();
    await cache.settled();
    expect(await cache.get("db")).toBe("canary-v2");
    expect(vault.calls).toBe(2);
  });

  it("with staleIfError 0, a Get past the TTL waits for the slow refresh instead of answering the old value", async () => {
    const { cache, vault, open } = await slowRefreshPastTtl(setup());
    const answer = cache.get("db");
    open();
    expect(await answer).toBe("canary-v2");
    expect(vault.calls).toBe(2);
  });

  it("on a rotation event, fetches again after a fetch that was already running instead of joining it", async () => {
    const { cache, vault, advance } = setup();
    await cache.get("db");
    advance(300_001);
    let open!: () => void;
    vault.gate = new Promise((r) => (open = r));
    const running = cache.get("db"); // started before the new version exists: answers v1
    vault.value = "canary-v2";
    vault.version = "v2";
    const refreshed = cache.refreshWhere((n) => n === "db");
    open();
    expect(await running).toBe("canary-v1");
    expect(await refreshed).toBe(1);
    expect(await cache.get("db")).toBe("canary-v2");
    expect(vault.calls).toBe(3);
  });

  it("refreshes at once on request (a rotation event), only a secret it holds", async () => {
    const { cache, vault } = setup();
    await cache.get("db");
    vault.value = "canary-v2";
    vault.version = "v2";
    expect(await cache.refreshNow("db")).toBe(true);
    expect(await cache.get("db")).toBe("canary-v2");
    expect(await cache.refreshNow("other")).toBe(false);
  });
});

describe("refresh-ahead over many sweeps", () => {
  it("10,000 sweeps on a fake clock (production TTL) refresh once per cycle and leave sizes and the live heap where they started", async () => {
    const { cache, vault, advance } = setup();
    await cache.get("db");
    const cycle = async () => {
      // One sweep period of the default TTL (10 s); a Get every period keeps the value read.
      advance(sweepEveryMs(DEFAULT_CACHE_TTL));
      await cache.get("db");
      cache.refreshDue();
      await cache.settled();
    };
    for (let i = 0; i < 100; i++) await cycle();
    const heapAtStart = liveHeap();
    const callsAtStart = vault.calls;
    for (let i = 0; i < 10_000; i++) await cycle();
    // 10,000 periods of 10 s are 100,000 s: one refresh per 4-minute refresh point (every 24 periods),
    // never one per sweep.
    const refreshes = vault.calls - callsAtStart;
    expect(refreshes).toBeGreaterThanOrEqual(Math.floor(10_000 / 25));
    expect(refreshes).toBeLessThanOrEqual(Math.ceil(10_000 / 24) + 1);
    expect(cache.sizes).toEqual({ entries: 1, calls: 0, held: 0 });
    expect(liveHeap() - heapAtStart).toBeLessThan(1024 * 1024);
  });
});
