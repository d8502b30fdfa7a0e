/**
 * Secrets hygiene that is checked by reading the code: nothing in the shipped code turns TLS verification
 * off (the stand-ins' certificates are trusted through a CA, NODE_EXTRA_CA_CERTS), and no log call is
 * handed a request body, a secret value or a token.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../helpers/paths.js";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (f === "gen") return [];
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const shipped = ["src", "dev", "samples"].flatMap((d) => files(path.join(REPO_ROOT, d)));

describe("secrets hygiene in the code", () => {
  it("never disables TLS certificate checks", () => {
    const offenders = shipped.filter((f) => {
      const text = readFileSync(f, "utf8");
      return /rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity\s*:/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it("only allows insecure (http) connections behind an explicit test seam", () => {
    const uses = shipped.filter((f) => /allowInsecureConnection\s*:\s*true/.test(readFileSync(f, "utf8")));
    expect(uses.map((f) => path.relative(REPO_ROOT, f))).toEqual([
      "src/state/backends/tables/tablesConnection.ts",
    ]);
    // Only for a loopback endpoint with a key, decided (and refused otherwise) in one function.
    expect(
      readFileSync(path.join(REPO_ROOT, "src/state/backends/tables/tablesConnection.ts"), "utf8"),
    ).toContain("...(insecure && { allowInsecureConnection: true })");
  });

  it("never passes secret values, tokens or request bodies to a log call", () => {
    const logCall = /\blog\.(trace|debug|info|warn|error|fatal)\(([^;]*)\)/g;
    const suspicious =
      /\b(value|token|accessToken|secret|password|connectionString|req\.value|request\.value|body)\b\s*[,}:]/;
    const offenders: string[] = [];
    for (const f of shipped.filter((p) => p.includes(`${path.sep}src${path.sep}`))) {
      for (const m of readFileSync(f, "utf8").matchAll(logCall)) {
        if (suspicious.test(m[2]!)) offenders.push(`${path.relative(REPO_ROOT, f)}: ${m[0].slice(0, 120)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("builds every error message in the wording of its area, and reads SDK errors only in errors/azureFailure.ts", () => {
    const src = shipped.filter((p) => p.includes(`${path.sep}src${path.sep}`));
    const rel = (f: string) => path.relative(REPO_ROOT, f);
    const builders = src.filter((f) => /new KeylessError\(/.test(readFileSync(f, "utf8")));
    expect(builders.map(rel).sort()).toEqual(
      ["identity", "instances", "secrets", "server", "state"].map((area) => `src/errors/${area}.ts`),
    );
    // The SDK's error shapes (statusCode, details, response headers) are read in one place only.
    const readers = src.filter((f) =>
      /\.statusCode\b|\bRestErrorLike\b|\.details\?\.|isRestError\(/.test(readFileSync(f, "utf8")),
    );
    expect(readers.map(rel)).toEqual(["src/errors/azureFailure.ts"]);
  });
});
