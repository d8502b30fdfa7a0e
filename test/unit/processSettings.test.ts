import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { environmentUsage, PROCESS_SETTINGS, readSetting } from "../../src/processSettings.js";

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

  it("is read through readSetting only: no other file parses a KEYLESS_ or DAPR_ variable itself", () => {
    // socketFolder.ts keeps the two-variable folder rule that the declaration of DAPR_COMPONENTS_SOCKETS_FOLDER calls.
    const direct = sourceFiles("src")
      .filter((f) => !/(processSettings|socketFolder)\.ts$/.test(f))
      .filter((f) => /\benv(\.|\[["'`])(KEYLESS|DAPR)_/.test(readFileSync(f, "utf8")));
    expect(direct).toEqual([]);
  });

  it("parses and defaults each value as declared", () => {
    expect(readSetting({}, "KEYLESS_COMPONENT_NAME")).toBe("keyless");
    expect(readSetting({}, "KEYLESS_SOCKET_MODE")).toBe(0o666);
    expect(readSetting({ KEYLESS_SOCKET_MODE: "0660" }, "KEYLESS_SOCKET_MODE")).toBe(0o660);
    expect(() => readSetting({ KEYLESS_SOCKET_MODE: "0440" }, "KEYLESS_SOCKET_MODE")).toThrow(
      /at least 0600/,
    );
    expect(() => readSetting({ KEYLESS_SOCKET_MODE: "rw" }, "KEYLESS_SOCKET_MODE")).toThrow(/octal mode/);
    expect(readSetting({ KEYLESS_SOCKET_GROUP: " " }, "KEYLESS_SOCKET_GROUP")).toBeUndefined();
    expect(readSetting({ XDG_DATA_HOME: "/xdg" }, "KEYLESS_DATA_DIR")).toBe("/xdg/keyless");
    expect(readSetting({ KEYLESS_SAVE_CREDENTIALS: "Yes" }, "KEYLESS_SAVE_CREDENTIALS")).toBe(true);
    expect(readSetting({}, "KEYLESS_SAVE_CREDENTIALS")).toBe(false);
    expect(readSetting({ KEYLESS_TRACE: "rpc, state,," }, "KEYLESS_TRACE")).toEqual(["rpc", "state"]);
    expect(readSetting({}, "KEYLESS_READINESS_IDENTITY_CHECK_SECONDS")).toBe(300);
    expect(readSetting({}, "DAPR_COMPONENTS_SOCKETS_FOLDER")).toBe("/tmp/dapr-components-sockets");
  });

  it("shows each default that is a plain value as the README writes it", () => {
    for (const s of PROCESS_SETTINGS) {
      const plain = /^`([^`]+)`$/.exec(s.readmeDefault)?.[1];
      if (plain === undefined || plain.startsWith("~") || s.name === "KEYLESS_SOCKET_MODE") continue;
      expect(String(s.parse(undefined, {})), s.name).toBe(plain);
    }
    expect(readSetting({}, "KEYLESS_SOCKET_MODE").toString(8).padStart(4, "0")).toBe("0666");
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
