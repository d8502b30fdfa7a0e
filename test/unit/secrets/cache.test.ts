import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { CachedSource } from "../../../src/secrets/cache.js";
import { errors } from "../../../src/errors/catalog.js";
import type { SecretSource } from "../../../src/secrets/source.js";

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
  errors.sourceFailed("i", "fake", "s", "the vault answered HTTP 503", undefined, { transient: true });
const throttled = (ms: number) =>
  errors.sourceFailed("i", "fake", "s", "throttled", undefined, { transient: true, retryAfterMs: ms });

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
    state.fail = errors.sourceFailed("i", "fake", "s", "403");
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
    state.fail = errors.sourceFailed(
      "i",
      "fake",
      "kv-charlie",
      "the vault is throttling requests (HTTP 429, retry after 3s)",
      undefined,
      {
        transient: true,
        retryAfterMs: 3000,
      },
    );
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
