import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/commandLine.js";

describe("parseCommandLine", () => {
  it("serves when no command is given", () => {
    expect(parseCommandLine([])).toEqual({ ok: true, command: { name: "serve" } });
    expect(parseCommandLine(["serve"])).toEqual({ ok: true, command: { name: "serve" } });
  });

  it("passes everything after --then to the child untouched, options included", () => {
    expect(parseCommandLine(["serve", "--then", "daprd", "--app-id", "a", "--then", "-x"])).toEqual({
      ok: true,
      command: { name: "serve", then: { command: "daprd", args: ["--app-id", "a", "--then", "-x"] } },
    });
  });

  it.each([[["serve", "--then"]], [["serve", "daprd"]], [["serve", "--json", "--then", "daprd"]]])(
    "refuses serve %j with what it expects",
    (argv) => {
      expect(parseCommandLine(argv)).toEqual({
        ok: false,
        message: 'keyless serve: expected "--then <command> [args...]"',
      });
    },
  );

  it("reads doctor's repeated --components (both spellings) and --json", () => {
    expect(parseCommandLine(["doctor", "--components", "a", "--json", "--components=b"])).toEqual({
      ok: true,
      command: { name: "doctor", paths: ["a", "b"], json: true },
    });
    expect(parseCommandLine(["doctor"])).toEqual({
      ok: true,
      command: { name: "doctor", paths: [], json: false },
    });
    expect(parseCommandLine(["doctor", "--components=-odd"])).toEqual({
      ok: true,
      command: { name: "doctor", paths: ["-odd"], json: false },
    });
  });

  it.each([[["--components"]], [["--components", "--json"]], [["--components="]], [["--components", ""]]])(
    "says doctor %j needs a value, not that the option is unknown (#23)",
    (args) => {
      expect(parseCommandLine(["doctor", ...args])).toEqual({
        ok: false,
        message: 'keyless doctor: option "--components" needs a value: --components <dir|file>',
      });
    },
  );

  it.each([
    [["--verbose"], "--verbose"],
    [["--verbose=1"], "--verbose=1"],
    [["-x"], "-x"],
    [["components"], "components"],
    [["--json", "--", "x"], "--"],
  ])("names doctor's unknown argument in %j as typed", (args, raw) => {
    expect(parseCommandLine(["doctor", ...args])).toEqual({
      ok: false,
      message: `keyless doctor: unknown argument "${raw}"`,
    });
  });

  it("refuses a value on --json", () => {
    expect(parseCommandLine(["doctor", "--json=yes"])).toEqual({
      ok: false,
      message: 'keyless doctor: option "--json" takes no value',
    });
  });

  it("knows dev and every spelling of help", () => {
    expect(parseCommandLine(["dev"])).toEqual({ ok: true, command: { name: "dev" } });
    for (const word of ["help", "--help", "-h"]) {
      expect(parseCommandLine([word])).toEqual({ ok: true, command: { name: "help" } });
    }
  });

  it("names an unknown command", () => {
    expect(parseCommandLine(["server"])).toEqual({ ok: false, message: 'keyless: unknown command "server"' });
  });
});
