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

/**
 * What a benchmarked keyless is started with, as the image starts it: `nodeArgs` for node's command line
 * and `env` (the caller's variables plus NODE_OPTIONS), both for startKeyless.
 */
export function shippedKeyless(env: Record<string, string>): {
  nodeArgs: string[];
  env: Record<string, string>;
} {
  return { nodeArgs: keylessNodeArgs(), env: { ...env, NODE_OPTIONS: keylessNodeOptions() } };
}

/**
 * Node's command-line flags for a benchmarked keyless: the shipped ones, then BENCH_KEYLESS_NODE_ARGS
 * (space-separated; a later flag wins, e.g. BENCH_KEYLESS_NODE_ARGS=--max-semi-space-size=16).
 */
export function keylessNodeArgs(): string[] {
  const extra = (process.env.BENCH_KEYLESS_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  return [...shippedNodeFlags(), ...extra];
}

/**
 * Extra NODE_OPTIONS for a benchmarked keyless (BENCH_KEYLESS_NODE_OPTIONS, e.g. an --import hook). The
 * shipped flags go on node's command line (keylessNodeArgs), as the image passes them: node refuses some of
 * them, such as --single-threaded-gc, in NODE_OPTIONS.
 */
export function keylessNodeOptions(): string {
  return (process.env.BENCH_KEYLESS_NODE_OPTIONS ?? "").trim();
}
