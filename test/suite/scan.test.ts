/**
 * The last project of the suite: scans everything every test file recorded (test/helpers/suiteRecord.ts):
 * every keyless log line, every daprd log line, every error answer and every doctor output of the whole
 * run, against every canary any test planted (secret values, issued tokens, SAS, account keys,
 * connection strings). It reads only the current run's record, and fails when that holds nothing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStrictJson } from "../helpers/strictJson.js";
import { SUITE_RECORD_DIR } from "../helpers/suiteRecord.js";

// This run's record only: a scan that fell back to an older run's records would pass on output this run
// never made. Nothing recorded by this run fails the first test below.
const dir = SUITE_RECORD_DIR;
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
    expect(keyless.length, `no keyless output was recorded by this run in ${dir}`).toBeGreaterThan(0);
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
    expect(canaries.length, "this run planted no canary: the scan would prove nothing").toBeGreaterThan(0);
    const everything = [...keyless, ...read("daprd"), ...read("answers"), ...read("doctor")];
    const hits: string[] = [];
    for (const c of canaries) {
      const hit = everything.find(({ line }) => line.includes(c));
      if (hit) hits.push(`${c.slice(0, 12)}… in ${hit.file}: ${hit.line.slice(0, 160)}`);
    }
    expect(hits).toEqual([]);
  });
});
