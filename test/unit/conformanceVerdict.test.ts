/** How scripts/conformance-go.sh judges the Go conformance run (test/conformance-go/verdict.ts). */
import { describe, expect, it } from "vitest";
import { ConformanceVerdict, type ExpectedFailure } from "../conformance-go/verdict.js";

const ETAG: ExpectedFailure = {
  test: "TestStateConformance/sqlite/etag",
  message: "Returned error is not a joined error",
  reason: "one status per call",
};

const ev = (Action: string, Test?: string, Output?: string) =>
  JSON.stringify({ Action, Package: "p", ...(Test && { Test }), ...(Output && { Output }) });

/** test2json lines for one test ending in `end`, with testify-style assertion output. */
function run(test: string, end: "pass" | "fail" | "skip", assertions: string[] = []): string[] {
  return [
    ev("run", test),
    ...assertions.map((m) => ev("output", test, `    Error Trace:\tstate.go:1\n    Error:\t${m}\n`)),
    ev(end, test),
  ];
}

function judge(lines: string[], expectations = [ETAG]) {
  const v = new ConformanceVerdict(expectations);
  for (const l of lines) v.addLine(l);
  return v.finish();
}

const failingParents = [
  ...run("TestStateConformance/sqlite", "fail"),
  ...run("TestStateConformance", "fail"),
];

describe("conformance verdict", () => {
  it("accepts the named failure when it is the only failed assertion, and its parents' failures", () => {
    const v = judge([
      ...run("TestStateConformance/sqlite/set", "pass"),
      ...run(ETAG.test, "fail", [`Should be true\n    Messages:\t${ETAG.message}`]),
      ...failingParents,
      ev("fail"),
    ]);
    expect(v.ok).toBe(true);
    expect(v.expected).toEqual([ETAG]);
    expect(v.unexpected).toEqual([]);
    expect(v.passed).toBe(1);
  });

  it("rejects the named test failing with another message or with a second failed assertion", () => {
    const other = judge([...run(ETAG.test, "fail", ["expected: 1, actual: 2"]), ...failingParents]);
    expect(other.ok).toBe(false);
    expect(other.unexpected.map((u) => u.test)).toEqual([ETAG.test]);
    const twice = judge([...run(ETAG.test, "fail", [ETAG.message, "another assertion"]), ...failingParents]);
    expect(twice.ok).toBe(false);
  });

  it("rejects any other failure, naming the deepest failed test", () => {
    const v = judge([...run("TestStateConformance/sqlite/get", "fail", ["boom"]), ...failingParents]);
    expect(v.ok).toBe(false);
    expect(v.unexpected.map((u) => u.test)).toEqual(["TestStateConformance/sqlite/get"]);
  });

  it("fails when an expected failure ran and did not happen, but not when it was filtered out", () => {
    const passed = judge([...run(ETAG.test, "pass"), ...run("TestStateConformance", "pass")]);
    expect(passed.ok).toBe(false);
    expect(passed.missing).toEqual([ETAG]);
    const filtered = judge(run("TestSecretStoreConformance", "pass"));
    expect(filtered.ok).toBe(true);
  });

  it("fails a binary that failed with no failed test (build error, panic before a test), or ran nothing", () => {
    const v = judge(["# keyless.local/conformance", "undefined: foo", ev("fail")]);
    expect(v.ok).toBe(false);
    expect(v.orphanFailure).toContain("undefined: foo");
    expect(judge([]).ok).toBe(false);
  });

  it("prints progress, labelling the expected failure and the parents it fails as expected", () => {
    const printed: string[] = [];
    const v = new ConformanceVerdict(
      [ETAG],
      (l) => printed.push(l),
      3,
      () => 0,
    );
    for (const l of [...run(ETAG.test, "fail", [ETAG.message]), ...failingParents]) v.addLine(l);
    for (const l of run("TestStateConformance/sqlite/get/deeper", "pass")) v.addLine(l);
    expect(printed).toEqual([
      `  FAIL (expected) ${ETAG.test} (0.0s)`,
      "  FAIL (expected) TestStateConformance/sqlite (0.0s)",
      "  FAIL (expected) TestStateConformance (0.0s)",
    ]);
    const other: string[] = [];
    const w = new ConformanceVerdict(
      [ETAG],
      (l) => other.push(l),
      3,
      () => 0,
    );
    for (const l of [...run(ETAG.test, "fail", ["mismatch != invalid", ETAG.message]), ...failingParents])
      w.addLine(l);
    expect(other[0]).toBe(`  FAIL ${ETAG.test} (0.0s)`);
  });

  it("reports a skipped test with its reason", () => {
    const v = judge([ev("run", "T/a"), ev("output", "T/a", "    x.go:1: not here\n"), ev("skip", "T/a")]);
    expect(v.skipped).toEqual([{ test: "T/a", why: "x.go:1: not here" }]);
  });
});
