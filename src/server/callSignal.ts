/**
 * An AbortSignal for one gRPC call: it fires when the client cancels the call or its deadline passes,
 * so a secret Get can let go of a vault call nobody waits for (secrets/cache.ts). daprd 1.18.3 sends
 * secret calls with neither (pluggable-components spec, 4.9); other gRPC clients may.
 */
import type { Deadline } from "@grpc/grpc-js";

export interface CancellableCall {
  on?(event: "cancelled", listener: () => void): unknown;
  getDeadline?(): Deadline;
}

export function callSignal(call: CancellableCall): AbortSignal | undefined {
  if (!call.on) return undefined;
  const controller = new AbortController();
  call.on("cancelled", () => controller.abort(new Error("the caller cancelled the call")));
  const deadline = call.getDeadline?.();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (typeof at === "number" && Number.isFinite(at)) {
    const ms = Math.max(0, at - Date.now());
    const timer = setTimeout(() => controller.abort(new Error("the call's deadline passed")), ms);
    timer.unref();
    // A cancel aborts the signal too, so this one listener clears the timer either way.
    controller.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  }
  return controller.signal;
}
