import { describe, expect, it } from "vitest";
import { ETAG_PATTERN } from "../../../src/state/backend.js";
import { newEtag } from "../../../src/state/backends/sqlite.js";

describe("SQLite ETags", () => {
  it("are 32 hex digits that never repeat within a process", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const etag = newEtag();
      expect(ETAG_PATTERN.test(etag)).toBe(true);
      seen.add(etag);
    }
    expect(seen.size).toBe(100_000);
  });

  it("start with a random prefix, so a restarted process does not hand out the same ones", async () => {
    const { execFileSync } = await import("node:child_process");
    const firstOf = () =>
      execFileSync(process.execPath, [
        "--import",
        "tsx",
        "-e",
        'import("./src/state/backends/sqlite.ts").then((m) => process.stdout.write(m.newEtag()))',
      ]).toString();
    const [a, b] = [firstOf(), firstOf()];
    expect(a).toMatch(ETAG_PATTERN);
    expect(a).not.toBe(b);
  });
});
