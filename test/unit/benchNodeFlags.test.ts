import { afterEach, describe, expect, it } from "vitest";
import { shippedKeyless, shippedNodeFlags } from "../../bench/nodeFlags.js";

describe("shippedKeyless", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("starts keyless with the image's flags on node's command line and the bench's NODE_OPTIONS", () => {
    delete process.env.BENCH_KEYLESS_NODE_ARGS;
    process.env.BENCH_KEYLESS_NODE_OPTIONS = " --import=/x/hook.mjs ";
    const started = shippedKeyless({ KEYLESS_LOG_LEVEL: "warn" });
    expect(started.nodeArgs).toEqual(shippedNodeFlags());
    expect(started.nodeArgs).toContain("--single-threaded-gc");
    expect(started.env).toEqual({ KEYLESS_LOG_LEVEL: "warn", NODE_OPTIONS: "--import=/x/hook.mjs" });
  });

  it("appends BENCH_KEYLESS_NODE_ARGS after the shipped flags, so a later flag wins", () => {
    process.env.BENCH_KEYLESS_NODE_ARGS = "--max-semi-space-size=16";
    expect(shippedKeyless({}).nodeArgs).toEqual([...shippedNodeFlags(), "--max-semi-space-size=16"]);
  });
});
