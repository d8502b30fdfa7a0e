/**
 * The command line of `keyless`, read into a command or a usage error. Nothing here prints or exits: main.ts
 * words the usage around the message and sets the exit code.
 */
import { parseArgs } from "node:util";

export type Command =
  | { readonly name: "serve"; readonly then?: { readonly command: string; readonly args: string[] } }
  | { readonly name: "doctor"; readonly paths: string[]; readonly json: boolean }
  | { readonly name: "dev" }
  | { readonly name: "help" };

export type ParsedCommandLine =
  { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly message: string };

/** `argv` is what follows the script, i.e. `process.argv.slice(2)`. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const [word = "serve", ...rest] = argv;
  switch (word) {
    case "serve":
      return parseServe(rest);
    case "doctor":
      return parseDoctor(rest);
    case "dev":
      return ok({ name: "dev" });
    case "help":
    case "--help":
    case "-h":
      return ok({ name: "help" });
    default:
      return usageError(`keyless: unknown command "${word}"`);
  }
}

/**
 * `--then` ends keyless's own arguments, as `--` would: what follows is daprd's command line, options
 * included, and must reach it untouched, so it is split off before parseArgs sees the rest.
 */
function parseServe(args: readonly string[]): ParsedCommandLine {
  const at = args.indexOf("--then");
  const own = at === -1 ? args : args.slice(0, at);
  const [command, ...childArgs] = at === -1 ? [] : args.slice(at + 1);
  const expected = usageError(`keyless serve: expected "--then <command> [args...]"`);
  try {
    parseArgs({ args: [...own], options: {}, strict: true, allowPositionals: false });
  } catch {
    return expected;
  }
  if (at === -1) return ok({ name: "serve" });
  if (command === undefined) return expected;
  return ok({ name: "serve", then: { command, args: childArgs } });
}

const DOCTOR_OPTIONS = {
  components: { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

function isDoctorOption(name: string): name is keyof typeof DOCTOR_OPTIONS {
  return Object.hasOwn(DOCTOR_OPTIONS, name);
}

/**
 * parseArgs runs loose and hands back tokens so the message can name the argument exactly as it was typed;
 * its strict errors word the option the way Node does, not the way keyless's usage does.
 */
function parseDoctor(args: readonly string[]): ParsedCommandLine {
  const { tokens } = parseArgs({
    args: [...args],
    options: DOCTOR_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const paths: string[] = [];
  let json = false;
  for (const token of tokens) {
    const raw = args[token.index] ?? "";
    if (token.kind !== "option" || !isDoctorOption(token.name)) {
      return usageError(`keyless doctor: unknown argument "${raw}"`);
    }
    if (token.name === "json") {
      if (token.value !== undefined) return usageError(`keyless doctor: option "--json" takes no value`);
      json = true;
      continue;
    }
    // A following option is a forgotten value, not a path (parseArgs's strict mode judges it the same way);
    // a path that starts with "-" can be given as --components=-dir.
    const value = token.value;
    if (value === undefined || value === "" || (!token.inlineValue && value.startsWith("-"))) {
      return usageError(`keyless doctor: option "--components" needs a value: --components <dir|file>`);
    }
    paths.push(value);
  }
  return ok({ name: "doctor", paths, json });
}

function ok(command: Command): ParsedCommandLine {
  return { ok: true, command };
}

function usageError(message: string): ParsedCommandLine {
  return { ok: false, message };
}
