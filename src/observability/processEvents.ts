/**
 * Node's own output goes into keyless's JSON log: its process warnings (MaxListenersExceededWarning,
 * deprecations) become one warn line with code NODE_WARNING instead of plain text on stderr, and an
 * error nothing caught becomes one fatal line with code UNCAUGHT_ERROR before keyless exits with 1, as
 * Node itself would. Operators' log pipelines then parse every line keyless writes.
 */
import type { Logger } from "pino";
import { errorField } from "./logger.js";

export function routeProcessEvents(log: Logger, proc: NodeJS.Process = process): void {
  // Node prints warnings through a listener of its own; it is replaced, not joined.
  proc.removeAllListeners("warning");
  proc.on("warning", (w) => {
    log.warn(
      { code: "NODE_WARNING", warning: { name: w.name, message: w.message, ...codeOf(w) } },
      `Node.js warning: ${w.name}`,
    );
  });
  proc.on("uncaughtException", (e, origin) => {
    log.fatal(
      { code: "UNCAUGHT_ERROR", origin, err: errorField(e) },
      "an error nothing caught; keyless exits",
    );
    const exit = () => proc.exit(1);
    setTimeout(exit, 1_000).unref();
    log.flush(exit);
  });
}

function codeOf(w: Error): { code?: string } {
  return "code" in w && typeof w.code === "string" ? { code: w.code } : {};
}
