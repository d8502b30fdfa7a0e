/**
 * The last project of the suite: scans everything every test file recorded (test/helpers/suiteRecord.ts):
 * every keyless log line, every daprd log line, every error answer and every doctor output of the whole
 * run, against every canary any test planted (secret values, issued tokens, SAS, account keys,
 * connection strings). Run alone it scans whatever the last run left.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStrictJson } from "../helpers/strictJson.js";
import { SUITE_RECORD_DIR } from "../helpers/suiteRecord.js";

/** This run's record; run alone (nothing recorded by this run), the latest run that recorded something. */
function recordDir(): string {
  const has = (d: string) => existsSync(d) && readdirSync(d).length > 0;
  if (has(SUITE_RECORD_DIR)) return SUITE_RECORD_DIR;
  const parent = path.dirname(SUITE_RECORD_DIR);
  const runs = readdirSync(parent)
    .map((d) => path.join(parent, d))
    .filter(has)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return runs[0] ?? SUITE_RECORD_DIR;
}
const dir = recordDir();
const files = existsSync(dir) ? readdirSync(dir) : [];
const read = (prefix: string) =>
  files
    .filter((f) => f.startsWith(`${prefix}-`))
    .flatMap((f) =>
      readFileSync(path.join(dir, f), "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((line) => ({ file: f, line })),
    );

describe("the whole suite's output", () => {
  const keyless = read("keyless");

  it("has every keyless log line as one JSON object with unique keys", () => {
    expect(keyless.length).toBeGreaterThan(0);
    const bad: string[] = [];
    for (const { line } of keyless) {
      try {
        const v = parseStrictJson(line);
        if (typeof v !== "object" || v === null || Array.isArray(v))
          bad.push(`not an object: ${line.slice(0, 200)}`);
      } catch (e) {
        bad.push(`${(e as Error).message}: ${line.slice(0, 200)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("keeps every failure's code and message under the one field err", () => {
    const failures = keyless
      .map(({ line }) => JSON.parse(line) as { msg?: string; err?: { code?: unknown; message?: unknown } })
      .filter((l) => l.msg === "request failed" || l.msg === "unexpected error");
    for (const f of failures) {
      expect(typeof f.err?.code).toBe("string");
      expect(typeof f.err?.message).toBe("string");
    }
  });

  it("never shows a canary (secret value, token, key, SAS, connection string) anywhere", () => {
    const canaries = [...new Set(read("canaries").map(({ line }) => JSON.parse(line) as string))];
    const everything = [...keyless, ...read("daprd"), ...read("answers"), ...read("doctor")];
    const hits: string[] = [];
    for (const c of canaries) {
      const hit = everything.find(({ line }) => line.includes(c));
      if (hit) hits.push(`${c.slice(0, 12)}… in ${hit.file}: ${hit.line.slice(0, 160)}`);
    }
    expect(hits).toEqual([]);
  });
});
