/**
 * Reads `go test -json` (test2json) events of the conformance run, prints progress, and decides the
 * outcome: every failure must be a named, expected one (the failed test, its only failed assertion's
 * message), and every expected failure must really happen, so the list can never hide a new failure
 * or outlive a fix.
 */
import { z } from "zod";

const TestEvent = z.object({
  Action: z.string(),
  Test: z.string().optional(),
  Output: z.string().optional(),
});
export type TestEvent = z.infer<typeof TestEvent>;

export interface ExpectedFailure {
  /** The full name of the failing (sub)test. */
  test: string;
  /** Text of its one failed assertion, as testify prints it. */
  message: string;
  /** Why no pluggable component can pass it. */
  reason: string;
}

export interface Verdict {
  ok: boolean;
  /** Tests (and subtests) that ran. */
  ran: number;
  passed: number;
  skipped: { test: string; why: string }[];
  expected: ExpectedFailure[];
  unexpected: { test: string; output: string }[];
  /** Expected failures that did not happen. */
  missing: ExpectedFailure[];
  /** The test binary's own failure with no failed test to show for it (panic, timeout, build error). */
  orphanFailure: string | undefined;
}

/** testify prints this once per failed assertion. */
const ASSERTION_MARK = "Error Trace:";

interface TestState {
  status: "running" | "pass" | "fail" | "skip";
  output: string[];
  startedAt: number;
}

export class ConformanceVerdict {
  private readonly tests = new Map<string, TestState>();
  private readonly packageOutput: string[] = [];
  private packageFailed = false;

  constructor(
    private readonly expectations: readonly ExpectedFailure[],
    private readonly print: (line: string) => void = () => undefined,
    private readonly progressDepth = 3,
    private readonly now: () => number = Date.now,
  ) {}

  /** One line of test2json output (non-JSON lines, e.g. a build error, are kept as package output). */
  addLine(line: string): void {
    const e = TestEvent.safeParse(parseJson(line));
    if (e.success) return this.add(e.data);
    this.packageOutput.push(`${line}\n`);
    this.print(line);
  }

  add(e: TestEvent): void {
    if (!e.Test) {
      if (e.Output) this.packageOutput.push(e.Output);
      if (e.Action === "fail") this.packageFailed = true;
      return;
    }
    const t = this.tests.get(e.Test) ?? { status: "running", output: [], startedAt: this.now() };
    this.tests.set(e.Test, t);
    if (e.Action === "output" && e.Output) t.output.push(e.Output);
    if (e.Action === "pass" || e.Action === "fail" || e.Action === "skip") {
      t.status = e.Action;
      this.progress(e.Test, t);
    }
  }

  finish(): Verdict {
    const leaves = this.failedLeaves();
    const expected: ExpectedFailure[] = [];
    const unexpected: Verdict["unexpected"] = [];
    for (const name of leaves) {
      const match = this.expectedFailureOf(name);
      if (match) expected.push(match);
      else unexpected.push({ test: name, output: this.tests.get(name)!.output.join("") });
    }
    // An expectation whose test did not run (filtered out with -test.run) is not missing.
    const missing = this.expectations.filter((x) => this.tests.has(x.test) && !expected.includes(x));
    const orphanFailure =
      this.packageFailed && leaves.length === 0 ? this.packageOutput.join("").slice(-4000) : undefined;
    const skipped = [...this.tests]
      .filter(([, t]) => t.status === "skip")
      .map(([test, t]) => ({ test, why: skipReason(t.output) }));
    return {
      ok:
        this.tests.size > 0 && unexpected.length === 0 && missing.length === 0 && orphanFailure === undefined,
      ran: this.tests.size,
      passed: [...this.tests.values()].filter((t) => t.status === "pass").length,
      skipped,
      expected,
      unexpected,
      missing,
      orphanFailure,
    };
  }

  private progress(name: string, t: TestState): void {
    const depth = name.split("/").length;
    if (depth > this.progressDepth && t.status !== "fail") return;
    const label =
      t.status === "fail"
        ? this.onlyExpectedFailures(name)
          ? "FAIL (expected)"
          : "FAIL"
        : { running: "", pass: "ok  ", skip: "skip" }[t.status];
    this.print(`  ${label} ${name} (${((this.now() - t.startedAt) / 1000).toFixed(1)}s)`);
  }

  /** Whether this failed test is an expected failure, or failed only because expected ones below it did. */
  private onlyExpectedFailures(name: string): boolean {
    const leaves = this.failedLeaves().filter((n) => n === name || n.startsWith(`${name}/`));
    return leaves.length > 0 && leaves.every((n) => this.expectedFailureOf(n) !== undefined);
  }

  /** The expectation this failed test meets: its name, and its one failed assertion's message. */
  private expectedFailureOf(name: string): ExpectedFailure | undefined {
    const match = this.expectations.find((x) => x.test === name);
    const output = this.tests.get(name)?.output.join("") ?? "";
    return match && output.includes(match.message) && output.split(ASSERTION_MARK).length === 2
      ? match
      : undefined;
  }

  /** Failed tests none of whose subtests failed: where the failed assertions are. */
  private failedLeaves(): string[] {
    const failed = [...this.tests].filter(([, t]) => t.status === "fail").map(([name]) => name);
    return failed.filter((name) => !failed.some((other) => other.startsWith(`${name}/`)));
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function skipReason(output: string[]): string {
  const lines = output
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("=== ") && !l.startsWith("--- "));
  return lines.at(-1) ?? "";
}

export function describeVerdict(v: Verdict): string[] {
  const lines = [
    `conformance-go: ${v.passed} passed, ${v.unexpected.length} failed, ${v.expected.length} expected failures, ${v.skipped.length} skipped`,
  ];
  for (const x of v.expected) lines.push(`  expected failure: ${x.test}: "${x.message}" (${x.reason})`);
  for (const s of v.skipped) lines.push(`  skipped: ${s.test}: ${s.why}`);
  for (const u of v.unexpected) lines.push(`  FAILED: ${u.test}\n${indent(u.output)}`);
  for (const m of v.missing)
    lines.push(`  FAILED: expected failure did not happen: ${m.test}: "${m.message}"`);
  if (v.ran === 0) lines.push("  FAILED: no test ran");
  if (v.orphanFailure !== undefined)
    lines.push(`  FAILED: the test binary failed:\n${indent(v.orphanFailure)}`);
  return lines;
}

const indent = (s: string) =>
  s
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => `      ${l}`)
    .join("\n");
