/**
 * The built server is one bundle (scripts/bundle.mjs): what loads before the socket is bound is the bundle's
 * own code and Node's modules. The Azure SDKs and SQLite stay in node_modules and load on first use, as the
 * source's lazy imports say (test/unit/server/lazyLoading.test.ts); every other socket and end-to-end test
 * runs this same file.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KEYLESS_MAIN } from "../helpers/paths.js";

/** Specifiers of static imports, followed through the bundle's own chunks. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/^import\s+(?:[^"';]*?\s+from\s+)?"([^"]+)";?$/gm)) {
    const spec = m[1]!;
    if (spec.startsWith(".")) {
      for (const s of staticImports(path.resolve(path.dirname(file), spec), seen)) out.add(s);
    } else out.add(spec);
  }
  return out;
}

describe("the built server", () => {
  it("is a bundle that loads nothing from node_modules before the socket is bound", () => {
    const text = readFileSync(KEYLESS_MAIN, "utf8");
    expect(text).toContain("function __keylessInstalledDir(");
    const outside = [...staticImports(KEYLESS_MAIN)].filter((s) => !s.startsWith("node:"));
    expect(outside).toEqual([]);
  });

  it("leaves the Azure SDKs and SQLite to node_modules, imported on first use", () => {
    const chunks = path.join(path.dirname(KEYLESS_MAIN), "chunks");
    const all = [KEYLESS_MAIN, ...readdirFiles(chunks)].map((f) => readFileSync(f, "utf8")).join("\n");
    expect(all).toMatch(/from "@azure\/identity"|import\("@azure\/identity"\)/);
    expect(all).toMatch(/from "better-sqlite3"|import\("better-sqlite3"\)/);
  });
});

function readdirFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .map((f) => path.join(dir, f));
}
