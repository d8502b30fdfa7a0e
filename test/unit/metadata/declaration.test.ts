/**
 * The metadata declaration is the one source of truth for which fields exist, which are credentials and
 * which may be logged; the README tables and the saved-metadata / log rules must follow it.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { secretStoreMetadata, secretMetadataSchema } from "../../../src/metadata/secretMetadata.js";
import { stateMetadata, stateMetadataSchema } from "../../../src/metadata/stateMetadata.js";
import type { MetadataDeclaration } from "../../../src/metadata/declaration.js";
import { REPO_ROOT } from "../../helpers/paths.js";

const README = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The README section that starts with `heading`, up to the next "## " heading. */
function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const end = README.indexOf("\n## ", start + heading.length + 2);
  return README.slice(start, end === -1 ? undefined : end);
}

/** Field names in the first column of the section's first metadata table (`a` / `b` rows name several). */
function tableFields(text: string): string[] {
  // Only the first table: later tables of the section (credential kinds, tests) are not field lists.
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith("|"));
  const rows = lines.slice(first, end === -1 ? undefined : end).filter((l) => l.startsWith("| `"));
  return rows.flatMap((r) => [...r.split("|")[1]!.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!));
}

/** The backticked names in the section's "Credential fields (...)" sentence. */
function credentialSentence(text: string): string[] {
  const m = /Credential fields \(never saved to disk, never logged[^)]*\): ([^\n]*)/.exec(text);
  expect(m, "the section has a 'Credential fields' sentence").not.toBeNull();
  return [...m![1]!.matchAll(/`([A-Za-z]+)`/g)].map((x) => x[1]!);
}

const kinds: [string, MetadataDeclaration, string[]][] = [
  ["## `secretstores.keyless` metadata", secretStoreMetadata, Object.keys(secretMetadataSchema.shape)],
  ["## `state.keyless` metadata", stateMetadata, Object.keys(stateMetadataSchema.shape)],
];

describe.each(kinds)("%s", (heading, declaration, schemaKeys) => {
  it("declares exactly the fields the parser accepts", () => {
    expect(declaration.fieldNames.sort()).toEqual([...schemaKeys].sort());
  });

  it("never lets a credential be logged or saved", () => {
    for (const f of declaration.credentialNames) {
      expect(declaration.mayLog(f)).toBe(false);
      expect(declaration.mayPersist(f)).toBe(false);
    }
  });

  it("never logs or saves a key it does not declare", () => {
    for (const k of ["azureClientSecret", "password", "apiKey", "maxValueBytes"]) {
      expect(declaration.mayLog(k)).toBe(false);
      expect(declaration.mayPersist(k)).toBe(false);
    }
  });

  it("is documented by the README table, field for field", () => {
    expect([...new Set(tableFields(section(heading)))].sort()).toEqual(declaration.fieldNames.sort());
  });

  it("names exactly the declared credentials in the README", () => {
    expect(credentialSentence(section(heading)).sort()).toEqual(declaration.credentialNames.sort());
  });
});
