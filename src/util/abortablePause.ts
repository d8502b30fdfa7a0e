/** Waits `ms`, or less when `signal` aborts first; leaves no listener on the signal either way. */
export function abortablePause(ms: number, signal: AbortSignal, { unref = false } = {}): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    if (unref) t.unref();
    signal.addEventListener("abort", done, { once: true });
  });
}
