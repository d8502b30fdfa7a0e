import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import type { ComponentKind } from "../../src/components/kind.js";
import { createLoggerFactory, errorField } from "../../src/observability/logger.js";
import { scrubCredentials } from "../../src/observability/scrub.js";
import { stateErrors } from "../../src/errors/state.js";
import { redactMetadata } from "../../src/observability/redact.js";
import { stateMetadata } from "../../src/metadata/stateMetadata.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";
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
    const line = await waitFor(
      "the Init log line",
      () => sink.lines.find((l) => l.includes("instance initialised")),
      { intervalMs: 5 },
    );
    expect(JSON.parse(line)).toMatchObject({
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

  it("puts a failure under one err field: code and message, plus name and stack for unexpected errors", () => {
    expect(errorField(stateErrors.keyEmpty("i"))).toEqual({
      code: "KEY_INVALID",
      message: 'state instance "i": the key is empty',
    });
    const unexpected = errorField(
      new TypeError("boom at https://acct.table.core.windows.net/t?sv=1&sig=SECRETSIG"),
    );
    expect(unexpected).toMatchObject({ code: "UNEXPECTED", name: "TypeError" });
    expect(unexpected.message).toBe("boom at https://acct.table.core.windows.net/t?[redacted]");
    expect(unexpected.stack).toContain("TypeError");
    expect(JSON.stringify(unexpected)).not.toContain("SECRETSIG");
  });

  it("scrubs query strings, SAS signatures, account keys and bearer tokens from free text", () => {
    const text = scrubCredentials(
      "x https://a.b/c?sig=1 AccountKey=abc==;SharedAccessSignature=sv=1&sig=2 Bearer eyJa.eyJb.c sig=zzz",
    );
    expect(text).toBe(
      "x https://a.b/c?[redacted] AccountKey=[redacted];SharedAccessSignature=[redacted] Bearer [redacted] sig=[redacted]",
    );
  });
});
