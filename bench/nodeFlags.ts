/**
 * The node flags the image starts keyless with (the Dockerfile's ENTRYPOINT), so the benches measure
 * keyless as it ships rather than a bare `node main.js`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export function shippedNodeFlags(): string[] {
  const dockerfile = readFileSync(path.join(import.meta.dirname, "..", "Dockerfile"), "utf8");
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!line) throw new Error("Dockerfile has no exec-form ENTRYPOINT");
  const argv = z.array(z.string()).parse(JSON.parse(line));
  return argv.slice(1).filter((a) => a.startsWith("--"));
}

/** NODE_OPTIONS for a benchmarked keyless: the shipped flags, then BENCH_KEYLESS_NODE_OPTIONS. */
export function keylessNodeOptions(): string {
  return [...shippedNodeFlags(), process.env.BENCH_KEYLESS_NODE_OPTIONS ?? ""].join(" ").trim();
}
