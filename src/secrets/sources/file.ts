/**
 * The `file` source: a JSON or YAML document of secrets for local development. Nested objects are
 * flattened with `nestedSeparator` ({"db": {"password": "x"}} -> "db:password"), the convention of
 * Dapr's local.file store. The file is read once, at Init; daprd re-sends Init when the YAML changes.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { secretErrors } from "../../errors/secrets.js";
import type { SecretSource, SecretValue } from "../source.js";

export interface FileSourceOptions {
  instance: string;
  file: string;
  separator: string;
  baseDir: string;
  /**
   * Each top-level key is one secret; a nested object becomes that secret's key/value pairs (flattened with
   * the separator), a plain value answers as { <name>: <value> } (Dapr local.file's multiValued).
   */
  multiValued?: boolean;
}

export async function createFileSource(opts: FileSourceOptions): Promise<SecretSource> {
  const file = path.resolve(opts.baseDir, opts.file);
  const label = `file(${opts.file})`;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "read error";
    throw secretErrors.sourceFailed({
      instance: opts.instance,
      source: label,
      reason: `cannot read ${file} (${code})`,
      cause: e,
    });
  }
  let doc: unknown;
  try {
    doc = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    // The parser's message may quote file content, which is secret; report only where it failed.
    const where = e instanceof Error && "linePos" in e ? " (YAML syntax error)" : " (syntax error)";
    throw secretErrors.sourceFailed({
      instance: opts.instance,
      source: label,
      reason: `${file} is not valid JSON or YAML${where}`,
    });
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw secretErrors.sourceFailed({
      instance: opts.instance,
      source: label,
      reason: `${file} must hold a mapping of names to values`,
    });
  }
  const values = new Map<string, SecretValue>();
  if (opts.multiValued) {
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        const pairs = new Map<string, string>();
        flatten(v as Record<string, unknown>, "", opts.separator, pairs);
        values.set(k, Object.fromEntries(pairs));
      } else if (v !== null && v !== undefined) {
        values.set(k, typeof v === "string" ? v : JSON.stringify(v));
      }
    }
  } else {
    const flat = new Map<string, string>();
    flatten(doc as Record<string, unknown>, "", opts.separator, flat);
    for (const [k, v] of flat) values.set(k, v);
  }
  return {
    name: label,
    get: async (name) => values.get(name),
    list: async () => new Map(values),
  };
}

function flatten(obj: Record<string, unknown>, prefix: string, sep: string, out: Map<string, string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === "" ? k : `${prefix}${sep}${k}`;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      flatten(v as Record<string, unknown>, key, sep, out);
    } else if (v !== null && v !== undefined) {
      out.set(key, typeof v === "string" ? v : JSON.stringify(v));
    }
  }
}
