/**
 * versions.env is the one list of pinned versions. The scripts and test helpers read it; the files that
 * cannot (compose and deploy image tags, Dockerfile ARG defaults, go.mod requirements, cache paths in the
 * dev loop, prose that names a version) are scanned here, so bumping daprd means editing versions.env and
 * then whatever this test names.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/paths.js";
import { pinnedVersions, type Versions } from "../helpers/versions.js";

const SKIP = new Set([".git", "node_modules", "dist", ".test-tmp", "gen", "versions.env"]);
const TEXT = /\.(ts|mts|mjs|js|json|sh|ya?ml|md|go|mod|bicep|env)$|^Dockerfile/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    if (SKIP.has(f)) return [];
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return TEXT.test(f) ? [path.relative(REPO_ROOT, p)] : [];
  });
}

/** Each way a pinned version is written where versions.env cannot be read, and which pin it is. */
const PATTERNS: { pin: keyof Versions; re: RegExp }[] = [
  { pin: "DAPRD_VERSION", re: /daprio\/daprd:(\d+\.\d+\.\d+)/g },
  { pin: "DAPRD_VERSION", re: /daprd-(\d+\.\d+\.\d+)\//g },
  { pin: "DAPRD_VERSION", re: /github\.com\/dapr\/dapr(?:@| )v(\d+\.\d+\.\d+)/g },
  { pin: "DAPRD_VERSION", re: /\bdaprd v?(\d+\.\d+\.\d+)/g },
  { pin: "DAPRD_VERSION", re: /patcher`? v(\d+\.\d+\.\d+)/g },
  { pin: "AZURITE_VERSION", re: /azure-storage\/azurite:(\d+\.\d+\.\d+)/g },
];

describe("versions.env: one list of pinned versions", () => {
  const pins = pinnedVersions();
  const found = files(REPO_ROOT).flatMap((file) => {
    const text = readFileSync(path.join(REPO_ROOT, file), "utf8");
    return PATTERNS.flatMap(({ pin, re }) =>
      [...text.matchAll(re)].map((m) => ({ file, pin, version: m[1] })),
    );
  });

  it("is what every compose, deploy, Docker and Go file and every note that names a version says", () => {
    const wrong = found.filter((f) => f.version !== pins[f.pin]);
    expect(wrong, `versions.env says ${JSON.stringify(pins)}`).toEqual([]);
  });

  it("reaches the files that cannot read it (the patterns still match them)", () => {
    const reached = new Set(found.map((f) => f.file));
    for (const file of [
      "docker-compose.yml",
      "Dockerfile",
      "deploy/aks/patch/main.go",
      "deploy/aks/patch/go.mod",
      "test/conformance-go/go.mod",
      "dev/devLoop.ts",
    ]) {
      expect(reached, file).toContain(file);
    }
  });

  it("is read by the scripts instead of a copy", () => {
    for (const [script, names] of [
      ["scripts/install-daprd.sh", ["DAPRD_VERSION", "DAPR_CLI_VERSION"]],
      ["scripts/install-compose.sh", ["COMPOSE_VERSION"]],
      ["scripts/images-lib.sh", ["NODE_VERSION", "NPM_VERSION", "AZURITE_VERSION", "DAPRD_VERSION"]],
      ["scripts/conformance-go.sh", ["DAPRD_VERSION"]],
    ] as const) {
      const text = readFileSync(path.join(REPO_ROOT, script), "utf8");
      expect(text, script).toContain("versions.sh");
      for (const name of names) expect(text, `${script} ${name}`).toContain(`$(pinned ${name})`);
    }
  });
});
