/**
 * Loggers know where they are: every line carries `area` (and, below it, `instance` and `op`).
 * Output is quiet by default (info); KEYLESS_TRACE=area1,area2 turns only those areas to debug,
 * in the spirit of grpc-js GRPC_TRACE. The sink is injectable so tests can read every line.
 *
 * Every line is one JSON object with unique keys: an error always goes under the one field `err`
 * ({code, message} for keyless's own errors; plus name and stack, scrubbed, for unexpected ones), never
 * under `msg`, which is the line's own text.
 */
import { pino, type Logger, type DestinationStream } from "pino";
import { isKeylessError } from "../errors/keylessError.js";
import { scrubCredentials } from "./scrub.js";

export type { Logger };

export interface LoggerOptions {
  level?: string;
  trace?: string[];
  destination?: DestinationStream;
}

export interface LoggerFactory {
  root: Logger;
  forArea(area: string, bindings?: Record<string, string>): Logger;
}

export function createLoggerFactory(options: LoggerOptions = {}): LoggerFactory {
  const trace = new Set(options.trace ?? []);
  const root = pino(
    {
      level: trace.size > 0 ? "debug" : (options.level ?? "info"),
      base: { svc: "keyless" },
      // Defence in depth: fields that could ever hold credentials are censored wherever they appear.
      redact: {
        paths: ["token", "*.token", "accessToken", "*.accessToken", "value", "*.value", "secret", "*.secret"],
        censor: "[redacted]",
      },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
  const baseLevel = options.level ?? "info";
  return {
    root,
    forArea(area, bindings = {}) {
      const child = root.child({ area, ...bindings });
      child.level = trace.has(area) || trace.has("all") ? "debug" : baseLevel;
      return child;
    },
  };
}

export interface ErrorField {
  code: string;
  message: string;
  name?: string;
  stack?: string;
}

/** The `err` field of a log line: code and message, and for an unexpected error its name and stack. */
export function errorField(e: unknown): ErrorField {
  if (isKeylessError(e)) return { code: e.code, message: scrubCredentials(e.message) };
  if (e instanceof Error) {
    const errno = "code" in e && typeof e.code === "string" ? e.code : undefined;
    return {
      code: errno ?? "UNEXPECTED",
      name: e.name,
      message: scrubCredentials(e.message),
      ...(e.stack !== undefined && { stack: scrubCredentials(e.stack) }),
    };
  }
  return { code: "UNEXPECTED", message: scrubCredentials(String(e)) };
}
