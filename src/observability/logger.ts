/**
 * Loggers know where they are: every line carries `area` (and, below it, `instance` and `op`).
 * Output is quiet by default (info); KEYLESS_TRACE=area1,area2 turns only those areas to debug,
 * in the spirit of grpc-js GRPC_TRACE. The sink is injectable so tests can read every line.
 */
import { pino, type Logger, type DestinationStream } from "pino";

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
