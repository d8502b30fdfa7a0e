/**
 * Like SingleFlight, for calls that can be cancelled: callers asking for the same key share one running
 * call, and each caller may leave early through its own AbortSignal (it is rejected with the signal's
 * reason at once). When every caller that could leave has left, the call itself is aborted (its signal
 * fires) and forgotten, so the next caller starts a new one. A caller without a signal, or with `keep`
 * (a background refresh the cache wants for itself), holds the call to the end.
 */
export interface JoinOptions {
  signal?: AbortSignal;
  keep?: boolean;
}

interface Flight<V> {
  promise: Promise<V>;
  controller: AbortController;
  /** Callers that may still leave. */
  leavable: number;
  kept: boolean;
}

export class SharedCalls<K, V> {
  private readonly flights = new Map<K, Flight<V>>();

  /** Joins the call running for `key`, or starts `fn` as that call. */
  run(key: K, fn: (signal: AbortSignal) => Promise<V>, opts: JoinOptions = {}): Promise<V> {
    let flight = this.flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const started: Flight<V> = {
        promise: Promise.resolve(undefined as V),
        controller,
        leavable: 0,
        kept: false,
      };
      started.promise = fn(controller.signal).finally(() => this.forget(key, started));
      this.flights.set(key, started);
      flight = started;
    }
    return this.join(key, flight, opts);
  }

  has(key: K): boolean {
    return this.flights.has(key);
  }

  /** The call running for `key`, if any (settles with it; never leaves early). */
  get(key: K): Promise<V> | undefined {
    return this.flights.get(key)?.promise;
  }

  /** Resolves once every call running now has settled (whatever the outcome). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.flights.values()].map((f) => f.promise));
  }

  get size(): number {
    return this.flights.size;
  }

  private forget(key: K, flight: Flight<V>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  private join(key: K, flight: Flight<V>, { signal, keep }: JoinOptions): Promise<V> {
    if (keep || !signal) {
      flight.kept = true;
      return flight.promise;
    }
    if (signal.aborted) return Promise.reject(toError(signal.reason));
    flight.leavable++;
    return new Promise<V>((resolve, reject) => {
      let done = false;
      const leave = () => {
        if (done) return;
        done = true;
        reject(toError(signal.reason));
        if (--flight.leavable === 0 && !flight.kept) {
          this.forget(key, flight);
          flight.controller.abort(signal.reason);
        }
      };
      signal.addEventListener("abort", leave, { once: true });
      const settle = (fn: () => void) => {
        signal.removeEventListener("abort", leave);
        if (done) return;
        done = true;
        flight.leavable--;
        fn();
      };
      flight.promise.then(
        (v) => settle(() => resolve(v)),
        (e: unknown) => settle(() => reject(toError(e))),
      );
    });
  }
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
