/**
 * Whether each vault of a failover store is tried, as a pure state machine (one value per vault):
 *
 * | state   | what it means                                  | offered to a call?                 |
 * |---------|------------------------------------------------|------------------------------------|
 * | up      | the last call got an answer (or none was made) | yes, in the configured order       |
 * | benched | broken: unreachable, 5xx, 429, timing out      | no, until `until`                  |
 * | due     | benched, and `until` has passed                | yes, to one call at a time (probe) |
 * | probing | a call is trying it after a bench              | no: the probe answers for it       |
 *
 * Events: `tried` (a call picked it), `answered` (any answer, including 404 and 403: the vault is
 * working, whatever the secret), `broken` (a transient failure), `abandoned` (the caller gave up: says
 * nothing about the vault). A broken vault is benched for 5, 10, 20, 40, then 60 s (+0-25 % jitter),
 * or its Retry-After when that is later, so a vault that stays down costs one call per bench.
 */
export interface VaultHealth {
  /** Broken calls in a row; 0 means up. */
  readonly failures: number;
  /** Not offered before this time (ms); meaningful when failures > 0. */
  readonly until: number;
  /** A call is probing it after its bench. */
  readonly probing: boolean;
}

export type Phase = "up" | "benched" | "due" | "probing";

export const UP: VaultHealth = { failures: 0, until: 0, probing: false };

export const BENCH_STEPS_MS = [5_000, 10_000, 20_000, 40_000, 60_000] as const;
export const MAX_JITTER = 0.25;

export function phaseOf(h: VaultHealth, now: number): Phase {
  if (h.failures === 0) return "up";
  if (h.probing) return "probing";
  return now < h.until ? "benched" : "due";
}

export function isOffered(h: VaultHealth, now: number): boolean {
  const p = phaseOf(h, now);
  return p === "up" || p === "due";
}

/** The shortest bench after `failures` broken calls in a row (jitter only lengthens it). */
export function benchFloorMs(failures: number): number {
  return BENCH_STEPS_MS[Math.min(failures, BENCH_STEPS_MS.length) - 1] ?? 0;
}

/** A call picks the vault; it is the probe when the vault was failing. */
export function tried(h: VaultHealth): { health: VaultHealth; probe: boolean } {
  return h.failures === 0 ? { health: h, probe: false } : { health: { ...h, probing: true }, probe: true };
}

export function answered(): VaultHealth {
  return UP;
}

/**
 * A transient failure. Only the probe's own end clears `probing`: a call that started before the bench
 * and fails late must not let a second probe out while the first is still waiting.
 */
export function broken(
  h: VaultHealth,
  now: number,
  retryAfterMs: number | undefined,
  jitter: number,
  probe: boolean,
): VaultHealth {
  const failures = h.failures + 1;
  const bench = benchFloorMs(failures) * (1 + MAX_JITTER * Math.min(Math.max(jitter, 0), 1));
  return { failures, until: now + Math.max(bench, retryAfterMs ?? 0), probing: h.probing && !probe };
}

/** The caller gave up: nothing learnt about the vault, but its probe slot is free again. */
export function abandoned(h: VaultHealth, probe: boolean): VaultHealth {
  return probe && h.probing ? { ...h, probing: false } : h;
}

/** The vaults a call may try now, in the configured order (the primary first). */
export function offered(all: readonly VaultHealth[], now: number): number[] {
  return all.flatMap((h, i) => (isOffered(h, now) ? [i] : []));
}

/** When the first benched vault is offered again (Infinity when none is benched). */
export function nextOffer(all: readonly VaultHealth[], now: number): number {
  return Math.min(...all.map((h) => (phaseOf(h, now) === "benched" ? h.until : Infinity)));
}
