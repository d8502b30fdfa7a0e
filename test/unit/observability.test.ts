import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import type { ComponentKind } from "../../src/components/kind.js";
import { createLoggerFactory } from "../../src/observability/logger.js";
import { redactMetadata } from "../../src/observability/redact.js";
import { stateMetadata } from "../../src/metadata/stateMetadata.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { testRegistry } from "../helpers/contexts.js";

function memorySink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe("logging", () => {
  it("shows allow-listed metadata and redacts the rest", () => {
    expect(
      redactMetadata(
        { tableName: "t1", connectionString: "AccountKey=abc", somethingNew: "x", keyPrefix: "name" },
        stateMetadata,
      ),
    ).toEqual({
      tableName: "t1",
      keyPrefix: "name",
      connectionString: "[redacted]",
      somethingNew: "[redacted]",
    });
  });

  it("logs an Init with redacted metadata and never the credential in it", async () => {
    const sink = memorySink();
    const loggers = createLoggerFactory({ destination: sink.stream });
    const tmp = makeTmpDir("obs");
    const kind: ComponentKind<object> = {
      category: "state",
      features: [],
      metadata: stateMetadata,
      build: async () => ({}),
      close: async () => undefined,
    };
    const registry = testRegistry(tmp.dir, { loggers }, "i");
    await registry.init(kind, "orders", { backend: "tables", connectionString: "AccountKey=canary-0b7e" });
    await new Promise((r) => setTimeout(r, 20));
    const line = sink.lines.find((l) => l.includes("instance initialised"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      area: "instances",
      instance: "orders",
      metadata: { backend: "tables", connectionString: "[redacted]" },
    });
    expect(sink.lines.join("\n")).not.toContain("canary-0b7e");
    tmp.cleanup();
  });

  it("turns on debug only for the areas named in KEYLESS_TRACE", () => {
    const loggers = createLoggerFactory({ trace: ["cache"], destination: memorySink().stream });
    expect(loggers.forArea("cache").isLevelEnabled("debug")).toBe(true);
    expect(loggers.forArea("rpc").isLevelEnabled("debug")).toBe(false);
  });
});
