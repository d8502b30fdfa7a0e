import { describe, expect, it } from "vitest";
import { underKeyVaultDomain } from "../../../../../src/secrets/sources/keyvault/keyVaultDomains.js";
import { hostOutsideKeyVaultDomains } from "../../../../../src/secrets/sources/keyvault/keyVaultCaller.js";
import type { AzureFailure } from "../../../../../src/errors/azureFailureFacts.js";
import { secretErrors } from "../../../../../src/errors/secrets.js";
import { classifyVaultFailure } from "../../../../../src/secrets/sources/keyvault/vaultFailure.js";

const vaultFailed = (f: AzureFailure, vault: Parameters<typeof classifyVaultFailure>[1]) =>
  secretErrors.vaultFailed({
    instance: "kv",
    source: "keyvault(x)",
    name: "db",
    who: "identity x",
    failure: classifyVaultFailure(f, vault),
    cause: new Error("x"),
  });

const outside = (url: string, verify?: boolean) =>
  hostOutsideKeyVaultDomains(
    url,
    verify === undefined ? {} : { disableChallengeResourceVerification: !verify },
  );

describe("Key Vault domains", () => {
  it("knows the vault suffix of each Azure cloud, and only as a suffix", () => {
    expect(underKeyVaultDomain("myvault.vault.azure.net")).toBe(true);
    expect(underKeyVaultDomain("myvault.vault.azure.cn")).toBe(true);
    expect(underKeyVaultDomain("myvault.vault.usgovcloudapi.net")).toBe(true);
    expect(underKeyVaultDomain("myvault.privatelink.vaultcore.azure.net")).toBe(false);
    expect(underKeyVaultDomain("vault.azure.net")).toBe(false);
    expect(underKeyVaultDomain("evilvault.azure.net")).toBe(false);
  });

  it("names the host only when the SDK will check the challenge against it and it lies outside", () => {
    expect(outside("https://myvault.vault.azure.net")).toBeUndefined();
    expect(outside("https://myvault.privatelink.vaultcore.azure.net")).toBe(
      "myvault.privatelink.vaultcore.azure.net",
    );
    expect(outside("https://secrets.example.com")).toBe("secrets.example.com");
    // Loopback stand-ins skip the check, unless a caller turns it back on.
    expect(outside("https://127.0.0.1:8443")).toBeUndefined();
    expect(outside("https://127.0.0.1:8443", true)).toBe("127.0.0.1");
    expect(outside("https://kv.example.com", false)).toBeUndefined();
  });

  it("puts the host and the fix in the message only for an unexplained failure", () => {
    const vault = { timeoutMs: 1000, hostOutsideKeyVaultDomains: "kv.privatelink.vaultcore.azure.net" };
    const unknown = {
      kind: "unknown",
      transient: false,
      missingRoleHint: false,
      errorName: "Error",
    } as const;
    const hinted = vaultFailed(unknown, vault);
    expect(hinted.message).toContain(
      "the vault URL's host kv.privatelink.vaultcore.azure.net is outside Key Vault's domains",
    );
    expect(hinted.message).toContain("https://<vault-name>.vault.azure.net");
    const network = { ...unknown, kind: "network", transient: true, errno: "ENOTFOUND" } as const;
    expect(vaultFailed(network, vault).message).not.toContain("outside Key Vault's domains");
    const plain = vaultFailed(unknown, { timeoutMs: 1000 });
    expect(plain.message).not.toContain("outside Key Vault's domains");
  });
});
