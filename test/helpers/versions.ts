/**
 * versions.env, the repository's one list of pinned versions, as the tests read it. An environment
 * variable of the same name overrides a value, as it does for the scripts (DAPRD_VERSION=… npm test).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const version = z.string().regex(/^\d+\.\d+\.\d+$/, "a version such as 1.18.3");

const Versions = z.strictObject({
  DAPRD_VERSION: version,
  DAPR_CLI_VERSION: version,
  COMPOSE_VERSION: version,
  AZURITE_VERSION: version,
  NODE_VERSION: version,
  NPM_VERSION: version,
});
export type Versions = z.infer<typeof Versions>;

// Found from this file, not from paths.ts: paths.ts reads the daprd version from here.
export const VERSIONS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../versions.env");

/** The pinned values as the file has them, without overrides. */
export function pinnedVersions(): Versions {
  const entries = readFileSync(VERSIONS_FILE, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const eq = l.indexOf("=");
      if (eq < 1) throw new Error(`versions.env: "${l}" is not NAME=value`);
      return [l.slice(0, eq), l.slice(eq + 1)];
    });
  return Versions.parse(Object.fromEntries(entries));
}

/** The daprd version the tests run: DAPRD_VERSION when set, else the pinned one. */
export function daprdVersion(): string {
  return process.env.DAPRD_VERSION || pinnedVersions().DAPRD_VERSION;
}
