import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { daprdVersion } from "./versions.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const KEYLESS_MAIN = path.join(REPO_ROOT, "dist/src/main.js");

export function daprdPath(): string {
  const p =
    process.env.KEYLESS_DAPRD ??
    path.join(
      process.env.KEYLESS_CACHE ?? path.join(os.homedir(), ".cache/keyless"),
      `daprd-${daprdVersion()}/daprd`,
    );
  if (!existsSync(p)) throw new Error(`daprd not found at ${p}; run: bash scripts/install-daprd.sh`);
  return p;
}
