/**
 * Concurrent callers asking for the same key share one running call; the next call after it settles
 * starts a new one. Used wherever a burst must cost one request (tokens, cache misses, listings).
 */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>();

  /** Joins the call running for `key`, or starts `fn` as that call. */
  run(key: K, fn: () => Promise<V>): Promise<V> {
    const current = this.running.get(key);
    if (current) return current;
    const p = fn().finally(() => {
      if (this.running.get(key) === p) this.running.delete(key);
    });
    this.running.set(key, p);
    return p;
  }

  /** The call running for `key`, if any. */
  get(key: K): Promise<V> | undefined {
    return this.running.get(key);
  }

  /** Whether a call is running for `key` (for "skip if already running" jobs such as sweeps). */
  has(key: K): boolean {
    return this.running.has(key);
  }
}
