/**
 * The secret cache against generated event sequences (fast-check): Gets, time passing, the vault going
 * down, throttling, refusing, losing a secret, rotating, refresh-ahead sweeps and rotation events, on a
 * fake clock, with production values (cacheTTL 5 min, staleIfError 1 h) and with short ones (2 s, 0 s).
 * A small reference model (what the vault answered, and when) says what each Get may answer; the
 * invariants are checked after every step. Shrunk counterexamples found on the way are plain tests in
 * cache.test.ts.
 */
import fc from "fast-check";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { secretErrors } from "../../../src/errors/secrets.js";
import { CachedSource } from "../../../src/secrets/cache.js";
import { backoffFloorMs } from "../../../src/secrets/cacheMachine.js";
import type { SecretSource, VersionedValue } from "../../../src/secrets/source.js";

type Mode = "up" | "down" | "throttle" | "forbidden" | "missing";
const NAMES = ["a", "b", "c"] as const;
type Name = (typeof NAMES)[number];

interface Policy {
  label: string;
  ttlMs: number;
  staleIfErrorMs: number;
  negativeTtlMs: number;
  steps: number[];
}

const PRODUCTION: Policy = {
  label: "production values (cacheTTL 5 min, staleIfError 1 h, negativeCacheTTL 10 s)",
  ttlMs: 300_000,
  staleIfErrorMs: 3_600_000,
  negativeTtlMs: 10_000,
  steps: [1, 500, 1_000, 4_000, 10_000, 60_000, 240_000, 300_000, 900_000, 3_600_000],
};
const SHORT: Policy = {
  label: "short values (cacheTTL 2 s, staleIfError 0 s, negativeCacheTTL 1 s)",
  ttlMs: 2_000,
  staleIfErrorMs: 0,
  negativeTtlMs: 1_000,
  steps: [1, 100, 400, 1_000, 2_000, 5_000, 16_000],
};
const RETRY_AFTER_MS = 7_000;

/** The world a sequence runs in: the clock, the vault, the cache, and what each of them did. */
class World {
  now = 1_000_000;
  mode: Mode = "up";
  versions: Record<Name, number> = { a: 1, b: 1, c: 1 };
  /** Every vault call: when, for what, and how it ended. */
  calls: { at: number; name: string; outcome: "ok" | "missing" | "transient" | "throttled" | "refused" }[] =
    [];
  /** Every value the vault handed out, per name, with when. */
  answered = new Map<string, { at: number; value: string; call: number }[]>();
  logs: { msg: string; secretName?: string }[] = [];
  cache: CachedSource;

  constructor(readonly p: Policy) {
    const vault: SecretSource = {
      name: "keyvault(model)",
      get: async () => undefined,
      list: async () => new Map(),
      getVersioned: async (name) => this.vaultCall(name),
    };
    const sink = new Writable({
      write: (chunk: Buffer, _e, done) => {
        for (const l of chunk.toString().split("\n").filter(Boolean)) {
          this.logs.push(JSON.parse(l) as { msg: string; secretName?: string });
        }
        done();
      },
    });
    this.cache = new CachedSource(vault, {
      ttlMs: p.ttlMs,
      staleIfErrorMs: p.staleIfErrorMs,
      negativeTtlMs: p.negativeTtlMs,
      maxEntries: NAMES.length,
      now: () => this.now,
      instance: "kv",
      log: pino({ level: "info" }, sink),
      refreshAhead: "manual",
    });
  }

  private async vaultCall(name: string): Promise<VersionedValue | undefined> {
    const at = this.now;
    const record = (outcome: World["calls"][number]["outcome"]) => this.calls.push({ at, name, outcome });
    switch (this.mode) {
      case "down":
        record("transient");
        throw secretErrors.sourceFailed({
          instance: "kv",
          source: "keyvault(model)",
          name,
          reason: "the vault answered HTTP 503",
          transient: true,
        });
      case "throttle":
        record("throttled");
        throw secretErrors.sourceFailed({
          instance: "kv",
          source: "keyvault(model)",
          name,
          reason: "throttled (HTTP 429)",
          transient: true,
          retryAfterMs: RETRY_AFTER_MS,
        });
      case "forbidden":
        record("refused");
        throw secretErrors.sourceFailed({
          instance: "kv",
          source: "keyvault(model)",
          name,
          reason: "HTTP 403",
        });
      case "missing":
        record("missing");
        return undefined;
      case "up": {
        record("ok");
        const version = `v${this.versions[name as Name]}`;
        const value = `${name}-${version}`;
        const list = this.answered.get(name) ?? [];
        list.push({ at, value, call: this.calls.length - 1 });
        this.answered.set(name, list);
        return { value, version };
      }
    }
  }
}

/** What Gets answered, per name, in order, for the flip-flop and bound checks. */
type Answer = { at: number; kind: "value"; value: string } | { at: number; kind: "notFound" | "error" };

class Model {
  answers = new Map<string, Answer[]>();

  constructor(private readonly w: World) {}

  /** Checks one Get's answer against what the vault said and when. */
  /** `calls`: how many vault calls there had been when the Get was asked (it may start one itself). */
  check(name: string, a: Answer, calls: number): void {
    const { w } = this;
    const p = w.p;
    const list = this.answers.get(name) ?? [];
    list.push(a);
    this.answers.set(name, list);
    const before = w.calls.slice(0, calls);
    const lastCall = [...before].reverse().find((c) => c.name === name);
    const handedOut = (w.answered.get(name) ?? []).filter((h) => h.call < calls);
    const lastValue = handedOut[handedOut.length - 1];
    if (a.kind === "value") {
      // Never older than cacheTTL + staleIfError: the value was handed out by the vault within that bound.
      const source = [...(w.answered.get(name) ?? [])].reverse().find((h) => h.value === a.value);
      expect(source, `${name}: ${a.value} was never handed out`).toBeDefined();
      expect(a.at - source!.at).toBeLessThan(p.ttlMs + p.staleIfErrorMs);
    }
    if (lastCall?.outcome === "ok" && lastValue && a.at - lastValue.at < p.ttlMs) {
      // Within its TTL the newest value the vault handed out is what a Get answers.
      expect(a).toEqual({ at: a.at, kind: "value", value: lastValue.value });
    }
    if (lastCall?.outcome === "missing" && a.at - lastCall.at < p.negativeTtlMs) {
      expect(a.kind).toBe("notFound");
    }
    // A Retry-After holds the whole vault (for up to its length, or the backoff after it, with jitter).
    const throttledLately = before.some((c) => c.outcome === "throttled" && a.at - c.at < 20_000);
    if (w.mode === "up" && lastCall?.outcome === "ok" && a.kind === "error" && !throttledLately) {
      throw new Error(`${name}: an error while the vault is up and its last call succeeded`);
    }
  }

  /**
   * No flip-flop: once an error has followed an answered value, that same fetch of the value is never
   * answered again (the vault handing out the same value anew after the error is a new fetch).
   */
  checkNoFlipFlop(): void {
    for (const [name, list] of this.answers) {
      let lost: { value: string; at: number } | undefined;
      let lastValue: string | undefined;
      for (const a of list) {
        if (a.kind === "value") {
          const fetchedAgain = (this.w.answered.get(name) ?? []).some(
            (h) => h.value === a.value && lost && h.at >= lost.at,
          );
          if (lost && a.value === lost.value && !fetchedAgain) {
            throw new Error(`${name}: ${a.value} was answered again after an error at ${lost.at}`);
          }
          lastValue = a.value;
        }
        if (a.kind === "error" && lastValue !== undefined) lost = { value: lastValue, at: a.at };
      }
    }
  }
}

/** Between two calls for a secret, after N transient failures in a row, at least the backoff floor. */
function checkBackoff(w: World): void {
  for (const name of NAMES) {
    const calls = w.calls.filter((c) => c.name === name);
    let streak = 0;
    for (let i = 1; i < calls.length; i++) {
      const prev = calls[i - 1]!;
      if (prev.outcome === "transient" || prev.outcome === "throttled") streak++;
      else streak = 0;
      if (streak === 0) continue;
      const floor = Math.max(backoffFloorMs(streak), prev.outcome === "throttled" ? RETRY_AFTER_MS : 0);
      expect(calls[i]!.at - prev.at, `${name}: call ${i} after ${streak} failure(s)`).toBeGreaterThanOrEqual(
        floor,
      );
    }
  }
}

/** One warning per transition: per secret, stale-started and stale-ended lines alternate. */
function checkWarnings(w: World): void {
  for (const name of NAMES) {
    const marks = w.logs
      .filter((l) => l.secretName === name)
      .map((l) =>
        l.msg.includes(": serving a cached value past its TTL;")
          ? "start"
          : /stale serving ended|stopped serving/.test(l.msg)
            ? "end"
            : "",
      )
      .filter(Boolean);
    marks.forEach((m, i) =>
      expect(m, `${name}: warning ${i} of ${marks.join(",")}`).toBe(i % 2 === 0 ? "start" : "end"),
    );
  }
}

type Cmd = fc.AsyncCommand<Model, World>;

const cmd = (label: string, run: (m: Model, w: World) => Promise<void>): Cmd => ({
  check: () => true,
  run: async (m, w) => {
    await run(m, w);
    await w.cache.settled();
    const sizes = w.cache.sizes;
    expect(sizes.entries).toBeLessThanOrEqual(NAMES.length);
    expect(sizes.calls).toBe(0);
    expect(sizes.held).toBeLessThanOrEqual(NAMES.length);
    checkBackoff(w);
    checkWarnings(w);
    m.checkNoFlipFlop();
  },
  toString: () => label,
});

function commands(p: Policy) {
  const name = fc.constantFrom(...NAMES);
  return [
    name.map((n) =>
      cmd(`get(${n})`, async (m, w) => {
        const at = w.now;
        const calls = w.calls.length;
        const answer: Answer = await w.cache.get(n).then(
          (v): Answer =>
            v === undefined ? { at, kind: "notFound" } : { at, kind: "value", value: String(v) },
          (): Answer => ({ at, kind: "error" }),
        );
        m.check(n, answer, calls);
      }),
    ),
    fc.constantFrom(...p.steps).map((ms) => cmd(`advance(${ms})`, async (_m, w) => void (w.now += ms))),
    fc
      .constantFrom<Mode>("up", "up", "down", "throttle", "forbidden", "missing")
      .map((mode) => cmd(`vault(${mode})`, async (_m, w) => void (w.mode = mode))),
    name.map((n) => cmd(`newVersion(${n})`, async (_m, w) => void w.versions[n]++)),
    fc.constant(cmd("sweep", async (_m, w) => void w.cache.refreshDue())),
    name.map((n) =>
      cmd(`rotationEvent(${n})`, async (_m, w) => {
        await w.cache.refreshWhere((x) => x === n).catch(() => undefined);
      }),
    ),
  ];
}

/** A fixed seed replays the same sequences on every run; fresh ones explore new ones each time. */
const FIXED_SEED = 20_261_203;

describe.each([PRODUCTION, SHORT])("the secret cache against a reference model, $label", (p) => {
  it.each([
    ["a fixed seed", { seed: FIXED_SEED }],
    ["a fresh seed", {}],
  ])("keeps every invariant over long generated sequences, %s", async (_label, seed) => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands(p), { maxCommands: 300, size: "max" }), async (cmds) => {
        const w = new World(p);
        await fc.asyncModelRun(() => ({ model: new Model(w), real: w }), cmds);
      }),
      { numRuns: 150, ...seed },
    );
  });
});
