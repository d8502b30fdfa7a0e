/**
 * Refresh-ahead for a cached Key Vault source: a value that was read since it was fetched is fetched
 * again in the background shortly before its cacheTTL ends, so steady traffic keeps finding a fresh
 * value and never waits on the vault. The window is the last fifth of the TTL, at most a minute
 * (cacheTTL 5 minutes: refreshed from 4 minutes on); a sweep runs every half window, at most every 10 s.
 * A value nobody read is left to expire: idle secrets cost no vault calls.
 */

const MAX_AHEAD_MS = 60_000;
const MAX_SWEEP_MS = 10_000;
const MIN_SWEEP_MS = 25;

/** How long before the end of its TTL a value read recently is refreshed. */
export function refreshAheadMs(ttlMs: number): number {
  return Math.min(MAX_AHEAD_MS, Math.floor(ttlMs / 5));
}

export function sweepEveryMs(ttlMs: number): number {
  return Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, Math.floor(refreshAheadMs(ttlMs) / 2)));
}

/** What the sweep needs from the cache. */
export interface Refreshable {
  /** Starts background refreshes of every value due; returns how many were started. */
  refreshDue(): number;
}

/** Runs the sweep on a timer that never keeps the process alive. */
export class RefreshAheadTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: Refreshable,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.target.refreshDue(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
