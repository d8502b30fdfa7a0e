import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStrictJson } from "../../helpers/strictJson.js";

describe("Node's own warnings and uncaught errors", () => {
  it("reach the output as JSON log lines with a code, and nothing reaches stderr", () => {
    const script = path.resolve("test/fixtures/process/noisy.ts");
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    const parsed = lines.map((l) => parseStrictJson(l) as Record<string, unknown>);
    const warning = parsed.find((l) => l.code === "NODE_WARNING");
    expect(warning?.warning).toMatchObject({ name: "MaxListenersExceededWarning" });
    expect(warning?.level).toBe(40);
    const fatal = parsed.find((l) => l.code === "UNCAUGHT_ERROR");
    expect(fatal?.err).toMatchObject({ message: "nobody caught this" });
    expect(fatal?.level).toBe(60);
  });
});
