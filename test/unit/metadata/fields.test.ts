import { describe, expect, it } from "vitest";
import { parseStateMetadata } from "../../../src/metadata/stateMetadata.js";
import { parseSecretMetadata } from "../../../src/metadata/secretMetadata.js";

describe("component metadata", () => {
  it("applies defaults and parses durations", () => {
    const r = parseStateMetadata({ ttlCleanupInterval: "500ms", busyTimeout: "2" });
    expect(r.problems).toEqual([]);
    expect(r.value).toMatchObject({
      backend: "sqlite",
      tableName: "state",
      ttlCleanupInterval: 500,
      busyTimeout: 2000,
    });
  });

  it("matches keys case-insensitively and accepts daprd's own keys", () => {
    const r = parseStateMetadata({ TTLCLEANUPINTERVAL: "1m", keyPrefix: "name", actorStateStore: "true" });
    expect(r.problems).toEqual([]);
    expect(r.value?.ttlCleanupInterval).toBe(60_000);
  });

  it("reports every problem at once, each naming its field", () => {
    const r = parseStateMetadata({ backend: "mongo", ttlCleanupInterval: "soon", synchronous: "always" });
    expect(r.value).toBeUndefined();
    expect(r.problems.join("\n")).toMatch(/backend:/);
    expect(r.problems.join("\n")).toMatch(/ttlCleanupInterval:/);
    expect(r.problems.join("\n")).toMatch(/synchronous:/);
    const later = parseStateMetadata({ tablename: "1bad", accountKey: "k" });
    expect(later.problems.join("\n")).toMatch(/tableName:.*\n.*accountKey: only used with backend: tables/s);
  });

  it("reports a vault URL that is not a URL as a problem of that field, never as a thrown TypeError", () => {
    for (const vaultUri of ["not a url", ""]) {
      const r = parseSecretMetadata({ vaultUri });
      expect(r.value).toBeUndefined();
      expect(r.problems.join("\n")).toMatch(/vaultUri.*must be an https:\/\/ URL/);
    }
  });

  it("refuses unknown keys with a suggestion, unless allowUnknownMetadata is set", () => {
    const r = parseStateMetadata({ ttlCleanupIntreval: "1s" });
    expect(r.problems[0]).toMatch(
      /ttlCleanupIntreval: unknown metadata key \(did you mean ttlCleanupInterval\?\)/,
    );
    const lenient = parseStateMetadata({ ttlCleanupIntreval: "1s", allowUnknownMetadata: "true" });
    expect(lenient.problems).toEqual([]);
    expect(lenient.unknownKeys).toEqual(["ttlCleanupIntreval"]);
  });

  it("checks what the tables backend needs", () => {
    expect(parseStateMetadata({ backend: "tables" }).problems[0]).toMatch(
      /tableEndpoint: backend tables needs/,
    );
    const ok = parseStateMetadata({ backend: "tables", accountName: "myacct" });
    expect(ok.value).toMatchObject({
      tableEndpoint: "https://myacct.table.core.windows.net",
      tableName: "daprstate",
    });
    expect(
      parseStateMetadata({ backend: "tables", accountName: "myacct", tableName: "bad-name" }).problems[0],
    ).toMatch(/tableName: an Azure table name/);
  });

  it("refuses a vaultUri that could carry a credential (query string, fragment, user info)", () => {
    for (const vaultUri of [
      "https://v.vault.azure.net/?sig=abc",
      "https://v.vault.azure.net/#x",
      "https://user:pw@v.vault.azure.net/",
    ]) {
      const out = parseSecretMetadata({ vaultUri });
      expect(out.value).toBeUndefined();
      expect(out.problems.join("; ")).toMatch(/vaultUri: must be the vault's URL alone/);
      expect(out.problems.join("; ")).not.toContain("abc");
    }
    expect(parseSecretMetadata({ vaultUri: "https://v.vault.azure.net/" }).value?.vaultUrl).toBe(
      "https://v.vault.azure.net",
    );
  });

  it("reads vaultUris as vaults in failover order, and refuses what cannot fail over", () => {
    const ok = parseSecretMetadata({ vaultUris: "https://a.vault.azure.net/, https://b.vault.azure.net" });
    expect(ok.value?.vaultUrls).toEqual(["https://a.vault.azure.net", "https://b.vault.azure.net"]);
    expect(ok.value?.vaultUrl).toBe("https://a.vault.azure.net");
    expect(ok.value?.sources).toEqual(["keyvault"]);
    const problems = (p: Record<string, string>) => parseSecretMetadata(p).problems.join("; ");
    expect(problems({ vaultUris: "https://a.vault.azure.net" })).toMatch(
      /vaultUris: name two vaults or more/,
    );
    expect(problems({ vaultUris: "https://a.vault.azure.net,https://A.vault.azure.net/" })).toMatch(
      /vaultUris: a vault is listed twice/,
    );
    expect(problems({ vaultUris: "https://a.vault.azure.net,https://b.vault.azure.net/?sig=abc" })).toMatch(
      /vaultUris.1: must be the vault's URL alone/,
    );
    expect(problems({ vaultUris: "https://a.vault.azure.net,http://b.vault.azure.net" })).toMatch(
      /must be an https:\/\/ URL/,
    );
    expect(
      problems({ vaultName: "myvault", vaultUris: "https://a.vault.azure.net,https://b.vault.azure.net" }),
    ).toMatch(/vaultName, vaultUris: give one of them, not several/);
    const six = Array.from({ length: 6 }, (_v, i) => `https://v${i}.vault.azure.net`).join(",");
    expect(problems({ vaultUris: six })).toMatch(/vaultUris/);
    expect(parseSecretMetadata({ vaultName: "myvault" }).value?.vaultUrls).toEqual([
      "https://myvault.vault.azure.net",
    ]);
  });

  it("derives the source chain from the settings present", () => {
    expect(parseSecretMetadata({ secretsFile: "a.json" }).value?.sources).toEqual(["file"]);
    expect(parseSecretMetadata({ envPrefix: "X_", secretsFile: "a.json" }).value?.sources).toEqual([
      "file",
      "env",
    ]);
    expect(
      parseSecretMetadata({ sources: "env, file", envPrefix: "X_", secretsFile: "a" }).value?.sources,
    ).toEqual(["env", "file"]);
    expect(parseSecretMetadata({ sources: "file,file", secretsFile: "a" }).problems[0]).toMatch(
      /listed twice/,
    );
  });
});
