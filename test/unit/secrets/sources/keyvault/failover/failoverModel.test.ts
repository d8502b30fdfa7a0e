/**
 * Vault failover against generated event sequences (fast-check): three vaults that go up, down, throttle,
 * refuse, lose the secret or hang, Gets that start and finish in any order, and time passing, on a fake
 * clock with the production bench steps (5 s .. 60 s). A small reference model keeps, per vault, the
 * broken calls in a row and when the bench ends, and predicts which vaults each Get may call and what it
 * answers; the invariants are checked after every step:
 * - no call reaches a vault before its bench (or Retry-After) ends;
 * - after a bench, one probe at a time: never two calls in flight to a vault that was failing;
 * - the primary is tried first whenever it is offered, and later vaults only after earlier ones broke;
 * - a 404 or a 403 ends the call at the vault that said it;
 * - a Get answers the value when a vault it may call is up, and a transient error otherwise.
 */
import fc from "fast-check";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { secretErrors } from "../../../../../../src/errors/secrets.js";
import { isKeylessError } from "../../../../../../src/errors/keylessError.js";
import { FailoverSource } from "../../../../../../src/secrets/sources/keyvault/failover/failoverSource.js";
import {
  benchFloorMs,
  MAX_JITTER,
} from "../../../../../../src/secrets/sources/keyvault/failover/vaultHealth.js";
import type { SecretSource } from "../../../../../../src/secrets/source.js";

type Mode = "up" | "down" | "throttle" | "forbidden" | "missing" | "hang";
const VAULTS = 3;
const RETRY_AFTER_MS = 30_000;
const STEPS = [1, 1_000, 4_000, 5_000, 7_000, 20_000, 60_000, 300_000];

interface Pending {
  vault: number;
  settle: (mode: Exclude<Mode, "hang">) => void;
}

/** The reference model: per vault, broken calls in a row, bench end, probe in flight. */
interface ModelVault {
  failures: number;
  until: number;
  probing: boolean;
}

class World {
  now = 1_000_000;
  modes: Mode[] = Array<Mode>(VAULTS).fill("up");
  model: ModelVault[] = Array.from({ length: VAULTS }, () => ({ failures: 0, until: 0, probing: false }));
  pending: Pending[] = [];
  /** Rules a vault call broke (the vault records them; a throw there would read as a vault error). */
  violations: string[] = [];
  /** Every vault call, in order. */
  calls: number[] = [];
  gets: Promise<void>[] = [];
  source: FailoverSource;

  constructor(readonly jitter: number) {
    const vaults = Array.from({ length: VAULTS }, (_v, i) => ({ host: `v${i}`, source: this.vault(i) }));
    this.source = new FailoverSource(vaults, {
      instance: "kv",
      log: pino({ level: "silent" }),
      now: () => this.now,
      jitter: () => this.jitter,
    });
  }

  private vault(i: number): SecretSource {
    const answer = (mode: Exclude<Mode, "hang">, probe: boolean) => {
      this.ended(i, mode, probe);
      const fail = (transient: boolean, retryAfterMs?: number) =>
        secretErrors.sourceFailed({
          instance: "kv",
          source: `v${i}`,
          name: "s",
          reason: "stand-in",
          transient,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        });
      switch (mode) {
        case "up":
          return { value: `value-from-v${i}` };
        case "missing":
          return undefined;
        case "forbidden":
          throw fail(false);
        case "down":
          throw fail(true);
        case "throttle":
          throw fail(true, RETRY_AFTER_MS);
      }
    };
    return {
      name: `v${i}`,
      get: async () => undefined,
      list: async () => new Map(),
      getVersioned: async () => {
        const probe = this.onCall(i);
        this.calls.push(i);
        const mode = this.modes[i]!;
        if (mode !== "hang") return answer(mode, probe);
        const settled = await new Promise<Exclude<Mode, "hang">>((settle) =>
          this.pending.push({ vault: i, settle }),
        );
        return answer(settled, probe);
      },
    };
  }

  /** Every call must be one the model offers: not benched, not a second probe. */
  private onCall(i: number): boolean {
    const m = this.model[i]!;
    if (m.failures === 0) return false;
    if (this.now < m.until) this.violations.push(`v${i} called during its bench`);
    if (m.probing) this.violations.push(`a second probe of v${i}`);
    m.probing = true;
    return true;
  }

  /** What the model says once vault i ended a call with `mode`. */
  ended(i: number, mode: Exclude<Mode, "hang">, probe: boolean): void {
    const m = this.model[i]!;
    if (mode === "down" || mode === "throttle") {
      m.failures++;
      const bench = benchFloorMs(m.failures) * (1 + MAX_JITTER * this.jitter);
      m.until = this.now + Math.max(bench, mode === "throttle" ? RETRY_AFTER_MS : 0);
      // Only the probe's own end frees the probe slot.
      if (probe) m.probing = false;
    } else {
      m.failures = 0;
      m.probing = false;
    }
  }

  offered(): number[] {
    return this.model.flatMap((m, i) => (m.failures === 0 || (!m.probing && this.now >= m.until) ? [i] : []));
  }

  /** Starts a Get and checks its answer against the vaults the model offered when it started. */
  startGet(): void {
    const offered = this.offered();
    const get = this.source
      .get("s")
      .then(
        (v) => ({ ok: true as const, v }),
        (e: unknown) => ({ ok: false as const, e }),
      )
      .then((r) => {
        if (r.ok && r.v !== undefined) {
          expect(offered).toContain(Number(String(r.v).slice(-1)));
        }
        if (!r.ok) expect(isKeylessError(r.e)).toBe(true);
      });
    this.gets.push(get);
  }
}

/** A Get in a world with no hanging vault runs to its end at once: predict it whole. */
async function syncGet(w: World): Promise<void> {
  const expected = predict(w);
  const from = w.calls.length;
  let answer: { ok: true; v: unknown } | { ok: false; e: unknown };
  try {
    answer = { ok: true, v: await w.source.get("s") };
  } catch (e) {
    answer = { ok: false, e };
  }
  expect(w.violations).toEqual([]);
  expect(w.calls.slice(from)).toEqual(expected.calls.map(([i]) => i));
  if (expected.kind === "value") expect(answer).toEqual({ ok: true, v: `value-from-v${expected.vault}` });
  if (expected.kind === "missing") expect(answer).toEqual({ ok: true, v: undefined });
  if (expected.kind === "refused" || expected.kind === "transient") {
    expect(answer.ok).toBe(false);
    const e = (answer as { e: unknown }).e;
    expect(isKeylessError(e) && e.transient).toBe(expected.kind === "transient");
  }
}

function predict(w: World): {
  calls: [number, Exclude<Mode, "hang">][];
  kind: "value" | "missing" | "refused" | "transient";
  vault?: number;
} {
  const calls: [number, Exclude<Mode, "hang">][] = [];
  for (const i of w.offered()) {
    const mode = w.modes[i]!;
    if (mode === "hang") throw new Error("syncGet with a hanging vault");
    calls.push([i, mode]);
    if (mode === "up") return { calls, kind: "value", vault: i };
    if (mode === "missing") return { calls, kind: "missing" };
    if (mode === "forbidden") return { calls, kind: "refused" };
  }
  return { calls, kind: "transient" };
}

type Cmd = fc.AsyncCommand<object, World>;
const cmd = (label: string, run: (w: World) => Promise<void>, check: (w: World) => boolean = () => true) =>
  ({
    check: (_m: object) => true,
    run: async (_m: object, w: World) => (check(w) ? run(w) : undefined),
    toString: () => label,
  }) as Cmd;

const settledModes: Exclude<Mode, "hang">[] = ["up", "down", "throttle", "forbidden", "missing"];

const commands = [
  fc.constantFrom(...STEPS).map((ms) => cmd(`advance(${ms})`, async (w) => void (w.now += ms))),
  fc
    .tuple(fc.integer({ min: 0, max: VAULTS - 1 }), fc.constantFrom<Mode>(...settledModes, "hang"))
    .map(([i, mode]) => cmd(`mode(v${i}, ${mode})`, async (w) => void (w.modes[i] = mode))),
  fc.constant(
    cmd(
      "get",
      async (w) => syncGet(w),
      (w) => w.pending.length === 0 && !w.offered().some((i) => w.modes[i] === "hang"),
    ),
  ),
  fc.constant(
    cmd("startGet", async (w) => {
      w.startGet();
      // Let it run until it ends or waits on a hanging vault.
      await new Promise((r) => setImmediate(r));
    }),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...settledModes)).map(([k, mode]) =>
    cmd(`settle(${k}, ${mode})`, async (w) => {
      const p = w.pending.splice(k % Math.max(1, w.pending.length), 1)[0];
      if (!p) return;
      p.settle(mode);
      // Let the Get go on to its next vault (or end) before the next command.
      await new Promise((r) => setImmediate(r));
    }),
  ),
];

async function runSequence(cmds: Iterable<Cmd>, jitter: number): Promise<void> {
  const w = new World(jitter);
  await fc.asyncModelRun(() => ({ model: {}, real: w }), cmds);
  // Nothing is left hanging: every pending call settles, every Get ends.
  while (w.pending.length > 0) {
    const p = w.pending.shift()!;
    p.settle("up");
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(w.gets);
  expect(w.violations).toEqual([]);
}

describe("vault failover against a reference model (fast-check)", () => {
  for (const seed of [20261203, Date.now()]) {
    it(`holds the bench, probe and order rules over generated sequences (seed ${seed})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commands, { maxCommands: 300, size: "max" }),
          fc.double({ min: 0, max: 0.999, noNaN: true }),
          (cmds, jitter) => runSequence(cmds, jitter),
        ),
        { numRuns: 300, seed },
      );
    });
  }
});
