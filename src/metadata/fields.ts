/**
 * Component metadata arrives as a flat string map (daprd sends every YAML value as text). Each component
 * type declares its fields once with these helpers; the declaration yields both the parsed type and the
 * runtime check. Key matching is case-insensitive, as in components-contrib.
 */
import { z } from "zod";
import { DAPRD_KEYS } from "./declaration.js";

export const boolText = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["true", "false", "1", "0", "yes", "no", ""].includes(v), "must be true or false")
  .transform((v) => v === "true" || v === "1" || v === "yes");

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** Go-style short durations ("500ms", "5s", "1m", "2h") or a bare number of seconds, to milliseconds. */
export function durationText(opts: { min: number; max: number }) {
  return z
    .string()
    .trim()
    .transform((v, ctx) => {
      const m = DURATION.exec(v);
      if (!m) {
        ctx.addIssue({ code: "custom", message: `must be a duration such as 500ms, 5s, 1m or 2h` });
        return z.NEVER;
      }
      const n = Number(m[1]);
      const unit = m[2] ?? "s";
      const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000;
      if (ms < opts.min || ms > opts.max) {
        ctx.addIssue({ code: "custom", message: `must be between ${opts.min}ms and ${opts.max}ms` });
        return z.NEVER;
      }
      return ms;
    });
}

export interface ParseOutcome<T> {
  value?: T;
  problems: string[];
  /** Keys that no field claims; reported as problems unless allowUnknownMetadata is set. */
  unknownKeys: string[];
}

/**
 * Parses `props` against `schema` (an object schema of optional string fields). Returns every problem
 * at once, each naming its field, so an operator fixes the YAML in one pass.
 */
export function parseMetadata<S extends z.ZodObject>(
  schema: S,
  props: Record<string, string>,
): ParseOutcome<z.infer<S>> {
  const fields = Object.keys(schema.shape);
  const byLower = new Map(fields.map((f) => [f.toLowerCase(), f]));
  const daprd = new Set(DAPRD_KEYS.map((k) => k.toLowerCase()));
  const canonical: Record<string, string> = {};
  const unknownKeys: string[] = [];
  for (const [key, value] of Object.entries(props)) {
    const field = byLower.get(key.toLowerCase());
    if (field !== undefined) canonical[field] = value;
    else if (!daprd.has(key.toLowerCase())) unknownKeys.push(key);
  }
  const result = schema.safeParse(canonical);
  const problems = result.success
    ? []
    : result.error.issues.map((i) => `${i.path.join(".") || "metadata"}: ${i.message}`);
  const allowUnknown = /^(true|1|yes)$/i.test(canonical.allowUnknownMetadata ?? "");
  if (!allowUnknown) {
    for (const k of unknownKeys) {
      const hint = suggest(k, fields);
      problems.push(
        `${k}: unknown metadata key${hint ? ` (did you mean ${hint}?)` : ""}; set allowUnknownMetadata: "true" to ignore unknown keys`,
      );
    }
  }
  return result.success ? { value: result.data, problems, unknownKeys } : { problems, unknownKeys };
}

function suggest(key: string, fields: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const f of fields) {
    const d = editDistance(key.toLowerCase(), f.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = f;
    }
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
