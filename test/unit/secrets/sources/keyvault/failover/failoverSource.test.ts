/** FailoverSource's plain behaviours: what moves on, what surfaces, what it says, and what it counts. */
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { secretErrors } from "../../../../../../src/errors/secrets.js";
import { isKeylessError } from "../../../../../../src/errors/keylessError.js";
import { noMetrics, type Metrics } from "../../../../../../src/observability/metrics.js";
import { FailoverSource } from "../../../../../../src/secrets/sources/keyvault/failover/failoverSource.js";
import type { SecretSource } from "../../../../../../src/secrets/source.js";

type Answer = "up" | "down" | "throttle" | "forbidden" | "missing";

function setup(modes: Answer[]) {
  const clock = { now: 1_000_000 };
  const calls: string[] = [];
  const lines: { level: number; msg: string; vault?: string }[] = [];
  const counted: string[] = [];
  const vault = (host: string, i: number): SecretSource => ({
    name: `keyvault(${host})`,
    get: async () => undefined,
    list: async () => {
      calls.push(`${host}:list`);
      if (modes[i] === "down")
        throw secretErrors.sourceFailed({
          instance: "kv",
          source: host,
          reason: "the vault answered HTTP 503",
          transient: true,
        });
      return new Map([["from", host]]);
    },
    getVersioned: async (name) => {
      calls.push(host);
      switch (modes[i]!) {
        case "up":
          return { value: `${name}@${host}`, version: "v1" };
        case "missing":
          return undefined;
        case "forbidden":
          throw secretErrors.sourceFailed({
            instance: "kv",
            source: host,
            name,
            reason: "the identity may not read secrets here (HTTP 403)",
          });
        case "down":
          throw secretErrors.sourceFailed({
            instance: "kv",
            source: host,
            name,
            reason: "the vault answered HTTP 503",
            transient: true,
          });
        case "throttle":
          throw secretErrors.sourceFailed({
            instance: "kv",
            source: host,
            name,
            reason: "the vault is throttling requests (HTTP 429)",
            transient: true,
            retryAfterMs: 90_000,
          });
      }
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean))
        lines.push(JSON.parse(l) as (typeof lines)[0]);
      done();
    },
  });
  const metrics: Metrics = {
    ...noMetrics,
    failoverVaultCall: (_i, v, outcome) => counted.push(`${v}:${outcome}`),
  };
  const source = new FailoverSource(
    ["a.vault.azure.net", "b.vault.azure.net"].map((host, i) => ({ host, source: vault(host, i) })),
    { instance: "kv", log: pino({ level: "debug" }, sink), metrics, now: () => clock.now, jitter: () => 0 },
  );
  return { clock, calls, lines, counted, source, modes };
}

describe("FailoverSource", () => {
  it("answers from the primary while it works, and names both vaults", async () => {
    const t = setup(["up", "up"]);
    expect(await t.source.get("db")).toBe("db@a.vault.azure.net");
    expect(t.calls).toEqual(["a.vault.azure.net"]);
    expect(t.source.name).toBe("keyvault(a.vault.azure.net, b.vault.azure.net)");
    expect(t.counted).toEqual(["a.vault.azure.net:ok"]);
  });

  it("moves on from a broken primary, skips it for 5 s, then probes it once and goes back to it", async () => {
    const t = setup(["down", "up"]);
    expect(await t.source.get("db")).toBe("db@b.vault.azure.net");
    expect(await t.source.get("db")).toBe("db@b.vault.azure.net");
    expect(t.calls).toEqual(["a.vault.azure.net", "b.vault.azure.net", "b.vault.azure.net"]);
    expect(t.source.phases).toEqual(["benched", "up"]);
    t.clock.now += 5_000;
    t.modes[0] = "up";
    expect(await t.source.get("db")).toBe("db@a.vault.azure.net");
    expect(t.source.phases).toEqual(["up", "up"]);
    const said = t.lines.filter((l) => l.level >= 30).map((l) => l.msg);
    expect(said).toEqual([
      "vault a.vault.azure.net is failing; calls move on to b.vault.azure.net; it is tried again in 5s",
      "vault a.vault.azure.net answers again; calls go to it first",
    ]);
    expect(t.counted).toEqual([
      "a.vault.azure.net:broken",
      "b.vault.azure.net:ok",
      "b.vault.azure.net:ok",
      "a.vault.azure.net:ok",
    ]);
  });

  it("benches a throttled vault for its Retry-After when that is longer than the step", async () => {
    const t = setup(["throttle", "up"]);
    await t.source.get("db");
    t.clock.now += 60_000;
    await t.source.get("db");
    expect(t.calls.filter((c) => c === "a.vault.azure.net")).toHaveLength(1);
    t.clock.now += 30_000;
    await t.source.get("db");
    expect(t.calls.filter((c) => c === "a.vault.azure.net")).toHaveLength(2);
  });

  it("a 404 on the primary is the answer: the secondary is not asked", async () => {
    const t = setup(["missing", "up"]);
    expect(await t.source.get("db")).toBeUndefined();
    expect(t.calls).toEqual(["a.vault.azure.net"]);
    expect(t.counted).toEqual(["a.vault.azure.net:not_found"]);
  });

  it("a 403 on the primary surfaces as the configuration error it is, and does not bench the vault", async () => {
    const t = setup(["forbidden", "up"]);
    const e = await t.source.get("db").catch((x: unknown) => x);
    expect(isKeylessError(e) && e.transient).toBe(false);
    expect(String(e)).toContain("HTTP 403");
    expect(t.calls).toEqual(["a.vault.azure.net"]);
    expect(t.source.phases).toEqual(["up", "up"]);
  });

  it("every vault broken: one transient error with each vault's reason; benched vaults are not called", async () => {
    const t = setup(["down", "throttle"]);
    const first = await t.source.get("db").catch((x: unknown) => x);
    expect(isKeylessError(first) && first.code === "SOURCE_FAILED" && first.transient).toBe(true);
    expect((first as Error).message).toBe(
      'secret store "kv": source keyvault(a.vault.azure.net, b.vault.azure.net) failed for secret "db": every vault is failing: ' +
        "a.vault.azure.net: the vault answered HTTP 503; b.vault.azure.net: the vault is throttling requests (HTTP 429)",
    );
    t.clock.now += 1_000;
    const second = await t.source.get("db").catch((x: unknown) => x);
    expect((second as Error).message).toContain(
      "every vault is failing: a.vault.azure.net: failed before, tried again in 4s; b.vault.azure.net: failed before, tried again in 89s",
    );
    expect(t.calls).toHaveLength(2);
    expect(t.lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      "vault a.vault.azure.net is failing; calls move on to b.vault.azure.net; it is tried again in 5s",
      "vault b.vault.azure.net is failing; no other vault is answering; it is tried again in 90s",
    ]);
  });

  it("a caller that gives up leaves the vault as it was (no bench, no move)", async () => {
    const t = setup(["down", "up"]);
    const abort = new AbortController();
    abort.abort();
    await expect(t.source.get("db", { signal: abort.signal })).rejects.toThrow();
    expect(t.calls).toEqual(["a.vault.azure.net"]);
    expect(t.source.phases).toEqual(["up", "up"]);
  });

  it("a listing fails over the same way", async () => {
    const t = setup(["down", "up"]);
    expect([...(await t.source.list())]).toEqual([["from", "b.vault.azure.net"]]);
  });

  it("debug lines say which vault answered, never the value", async () => {
    const t = setup(["up", "up"]);
    await t.source.get("db");
    const debug = t.lines.filter((l) => l.level === 20);
    expect(debug).toEqual([expect.objectContaining({ msg: "vault answered", vault: "a.vault.azure.net" })]);
    expect(JSON.stringify(t.lines)).not.toContain("db@");
  });
});
