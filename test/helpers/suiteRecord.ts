/**
 * Everything the whole suite wrote that a user or a log pipeline would see, in one folder, so one final
 * check (test/suite/scan.test.ts, the last project) can scan all of it, not file by file:
 * - `keyless-*.log`: every line every keyless process wrote;
 * - `daprd-*.log`: every line every daprd wrote;
 * - `answers-*.log`: every HTTP error body daprd answered to a test;
 * - `doctor-*.log`: every `keyless doctor` output;
 * - `canaries-*.txt`: values that must never appear in any of those (secret values, tokens, keys, SAS).
 * Each vitest run has its own folder (KEYLESS_SUITE_RECORD_DIR, set by vitest.config.ts). One file per kind
 * and process: appends of whole lines never interleave.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./paths.js";

export const SUITE_RECORD_DIR =
  process.env.KEYLESS_SUITE_RECORD_DIR ?? path.join(REPO_ROOT, ".test-tmp/suite-record/run-unknown");

export type RecordKind = "keyless" | "daprd" | "answers" | "doctor";

function file(name: string): string {
  mkdirSync(SUITE_RECORD_DIR, { recursive: true });
  return path.join(SUITE_RECORD_DIR, `${name}-${process.pid}.log`);
}

/** Appends lines (newlines inside an entry are kept as separate lines). */
export function recordOutput(kind: RecordKind, lines: readonly string[]): void {
  if (lines.length === 0) return;
  appendFileSync(file(kind), lines.map((l) => `${l}\n`).join(""));
}

/** Values that must never appear in anything the suite recorded. */
export function recordCanaries(values: Iterable<string>): void {
  const list = [...values].filter((v) => v.length >= 8);
  if (list.length === 0) return;
  appendFileSync(file("canaries"), list.map((v) => `${JSON.stringify(v)}\n`).join(""));
}

/**
 * A unique secret-like value whose every appearance in a log or answer fails the scans. It is registered
 * here, as it is made, so no test can plant a canary that the final scan does not look for.
 */
export function canary(tag: string): string {
  const value = `canary-${tag}-${randomBytes(8).toString("hex")}`;
  recordCanaries([value]);
  return value;
}
