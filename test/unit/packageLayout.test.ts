/**
 * The package layout shows the product: the root package is the component with runtime dependencies only;
 * the stand-ins/dev loop and the sample are workspaces of their own; one lockfile. The component compiles
 * without them (as the production image builds it).
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../helpers/paths.js";

interface Manifest {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}
const manifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, dir, "package.json"), "utf8")) as Manifest;

describe("package layout", () => {
  it("keeps the stand-ins' and the sample's dependencies out of the component's", () => {
    const root = manifest(".");
    expect(root.workspaces).toEqual(["dev", "samples/queuereader"]);
    for (const d of ["express", "@dapr/dapr", "azurite"])
      expect(Object.keys(root.dependencies ?? {})).not.toContain(d);
    // The component reads rotation events (rotationQueue) itself; the sample keeps its own dependency.
    expect(Object.keys(root.dependencies ?? {})).toContain("@azure/storage-queue");
    expect(Object.keys(manifest("samples/queuereader").dependencies ?? {})).toEqual(
      expect.arrayContaining(["express", "@dapr/dapr", "@azure/storage-queue"]),
    );
    expect(Object.keys(manifest("dev").dependencies ?? {})).toContain("azurite");
  });

  it("has one lockfile", () => {
    expect(existsSync(path.join(REPO_ROOT, "dev/package-lock.json"))).toBe(false);
    expect(existsSync(path.join(REPO_ROOT, "samples/queuereader/package-lock.json"))).toBe(false);
  });

  it("compiles the component from src/ alone", () => {
    const tsc = path.join(REPO_ROOT, "node_modules/typescript/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.component.json", "--noEmit", "--listFiles"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const own = r.stdout.split("\n").filter((f) => f.startsWith(REPO_ROOT) && !f.includes("node_modules"));
    expect(own.length).toBeGreaterThan(10);
    expect(own.filter((f) => !f.startsWith(path.join(REPO_ROOT, "src/")))).toEqual([]);
  }, 130_000);
});
