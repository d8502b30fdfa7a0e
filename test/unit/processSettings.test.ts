import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { environmentUsage, PROCESS_SETTINGS } from "../../src/processSettings.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return f === "gen" ? [] : sourceFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

describe("process settings: one declaration", () => {
  const declared = PROCESS_SETTINGS.map((s) => s.name);

  it("declares every KEYLESS_ and DAPR_ variable src/ reads (DAPR_COMPONENT_SOCKETS_FOLDER is the injector's alias)", () => {
    const read = new Set<string>();
    for (const f of sourceFiles("src")) {
      for (const m of readFileSync(f, "utf8").matchAll(
        /env\.((?:KEYLESS|DAPR)_[A-Z_]+)|"((?:KEYLESS|DAPR)_[A-Z_]+)"/g,
      )) {
        read.add((m[1] ?? m[2])!);
      }
    }
    read.delete("DAPR_COMPONENT_SOCKETS_FOLDER");
    expect([...read].sort()).toEqual([...declared].sort());
  });

  it("is the README's environment table, row for row, with the same defaults", () => {
    const rows = readFileSync("README.md", "utf8")
      .split("\n")
      .filter((l) => /^\| `(KEYLESS|DAPR)_[A-Z_]+` \|/.test(l))
      .map((l) =>
        l
          .split(" | ")
          .slice(0, 2)
          .map((c) => c.replace(/^\| /, "")),
      );
    expect(rows).toEqual(PROCESS_SETTINGS.map((s) => [`\`${s.name}\``, s.readmeDefault]));
  });

  it("gives every variable its line in keyless help", () => {
    const usage = environmentUsage();
    for (const name of declared) expect(usage).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
  });
});
