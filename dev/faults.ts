/**
 * Fault switches shared by the stand-ins, so tests and the dev loop can make a dependency misbehave:
 * refuse connections, answer an error status (with an optional Retry-After), answer slowly, or hold.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export type Fault =
  | { kind: "none" }
  | { kind: "down" }
  | { kind: "status"; status: number; retryAfterSeconds?: number; code?: string }
  | { kind: "slow"; delayMs: number }
  /** Holds each request until `release` settles, so a test can tell "answered without waiting" by order. */
  | { kind: "held"; release: Promise<void> };

export const NO_FAULT: Fault = { kind: "none" };

/** Applies the fault; returns true when the request was fully handled (the caller must stop). */
export async function applyFault(
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  body: (status: number, code: string) => unknown,
): Promise<boolean> {
  switch (fault.kind) {
    case "none":
      return false;
    case "down":
      req.socket.destroy();
      return true;
    case "slow":
      await new Promise((r) => setTimeout(r, fault.delayMs));
      return false;
    case "held":
      await fault.release;
      return false;
    case "status": {
      const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
      if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
      res.writeHead(fault.status, headers);
      res.end(
        JSON.stringify(
          body(fault.status, fault.code ?? (fault.status === 429 ? "Throttled" : "ServiceUnavailable")),
        ),
      );
      return true;
    }
  }
}
