import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { keyvaultCheck } from "../../../src/doctor/checks/keyvault.js";
import { describeAzureFailure } from "../../../src/errors/azureFailure.js";
import { identityErrors } from "../../../src/errors/identity.js";
import { secretErrors } from "../../../src/errors/secrets.js";
import { describeIdentity, type IdentitySpec } from "../../../src/identity/identitySpec.js";
import { KEY_VAULT_SCOPE, STORAGE_SCOPE } from "../../../src/identity/tokenScopes.js";
import { classifyVaultFailure } from "../../../src/secrets/sources/keyvault/vaultFailure.js";
import { component, fakeDoctor, fakeSource, secretMd } from "./fakeDoctor.js";

const CLIENT = "11111111-1111-4111-8111-111111111111";
const SPEC: IdentitySpec = { kind: "managed", by: "clientId", id: CLIENT };
const WHO = describeIdentity(SPEC);
const VAULT = "https://kv1.vault.azure.net";
const md = (extra: Record<string, string> = {}) =>
  secretMd({ azureClientId: CLIENT, ...(extra.vaultUris ? {} : { vaultUri: VAULT }), ...extra });

/** What KeyVaultSource throws for an SDK failure. */
const vaultFailure = (e: unknown) =>
  secretErrors.vaultFailed({
    instance: "kv",
    source: `keyvault(${VAULT})`,
    name: undefined,
    who: WHO,
    failure: classifyVaultFailure(describeAzureFailure(e), { timeoutMs: 10_000 }),
    cause: e,
  });
const refused = (statusCode: number) => new RestError(`HTTP ${statusCode}`, { statusCode });

describe("the keyvault check", () => {
  it("gets a token, then lists one secret of each vault, and names the identity", async () => {
    const listed: string[] = [];
    const doctor = fakeDoctor({
      buildSource: async (kind, m) => {
        listed.push(`${kind} ${m.vaultUrls.join(",")}`);
        return fakeSource({ a: "1" });
      },
    });
    const out = await keyvaultCheck({
      component: component("kv"),
      md: md({ vaultUris: `${VAULT},https://kv2.vault.azure.net` }),
      doctor,
    });
    expect(out.identity).toEqual(SPEC);
    expect(out.checks.map((k) => [k.name, k.status])).toEqual([
      ["token for https://vault.azure.net", "ok"],
      [`vault ${VAULT}`, "ok"],
      ["vault https://kv2.vault.azure.net", "ok"],
    ]);
    expect(out.checks[1]!.detail).toContain("read one");
    // Each vault alone: failover would hide a broken one.
    expect(listed).toEqual([`keyvault ${VAULT}`, "keyvault https://kv2.vault.azure.net"]);
  });

  it("stops at a refused token, with the fix the catalog gave the refusal", async () => {
    const doctor = fakeDoctor({
      token: async (spec, scope) => {
        throw identityErrors.identityUnknown(scope, describeIdentity(spec), refused(400));
      },
    });
    const out = await keyvaultCheck({ component: component("kv"), md: md(), doctor });
    expect(out.checks).toHaveLength(1);
    expect(out.checks[0]).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("does not know this identity"),
      fix: expect.stringContaining(`client id ${CLIENT}`),
    });
  });

  it("reads the role to grant from the 403 the vault answered", async () => {
    const doctor = fakeDoctor({ buildSource: async () => fakeSource(vaultFailure(refused(403))) });
    const vault = (await keyvaultCheck({ component: component("kv"), md: md(), doctor })).checks[1]!;
    expect(vault).toMatchObject({ name: `vault ${VAULT}`, status: "fail" });
    expect(vault.detail).toContain("HTTP 403");
    expect(vault.fix).toBe(
      `az role assignment create --role "Key Vault Secrets User" --assignee <principal id of ${WHO}> --scope <resource id of the vault>`,
    );
  });

  it("finds the fix under the cache's backoff, which wraps the vault's failure", async () => {
    const down = vaultFailure(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }));
    const wrapped = secretErrors.sourceRetryLater({
      instance: "kv",
      source: `keyvault(${VAULT})`,
      waitMs: 2_000,
      failures: 1,
      cause: down,
    });
    const doctor = fakeDoctor({ buildSource: async () => fakeSource(wrapped) });
    const vault = (await keyvaultCheck({ component: component("kv"), md: md(), doctor })).checks[1]!;
    expect(vault.detail).toMatch(/unreachable \(ECONNREFUSED\).*asks the vault again/);
    expect(vault.fix).toMatch(/^check vaultName \/ vaultUri \/ vaultUris/);
  });

  it("gives an identity's fix when the vault call failed on the identity", async () => {
    const identity = identityErrors.identityUnreachable(
      KEY_VAULT_SCOPE,
      WHO,
      describeAzureFailure(new Error("x")),
      undefined,
    );
    const wrapped = secretErrors.sourceFailed({
      instance: "kv",
      source: "keyvault",
      reason: identity.message,
      cause: identity,
    });
    const doctor = fakeDoctor({ buildSource: async () => fakeSource(wrapped) });
    const vault = (await keyvaultCheck({ component: component("kv"), md: md(), doctor })).checks[1]!;
    expect(vault.fix).toMatch(/^managed identity is not available to keyless/);
  });

  it("shows no foreign error text, and falls back to its own fix", async () => {
    const doctor = fakeDoctor({
      buildSource: async () => fakeSource(new Error("GET https://kv1.vault.azure.net/?sig=canary")),
    });
    const vault = (await keyvaultCheck({ component: component("kv"), md: md(), doctor })).checks[1]!;
    expect(vault.detail).toBe("the vault check failed unexpectedly");
    expect(vault.fix).toMatch(/^check vaultName/);
  });

  it("checks the rotation queue with the store's identity once it has a Storage token", async () => {
    const scopes: string[] = [];
    const queues: string[] = [];
    const doctor = fakeDoctor({
      token: async (_spec, scope) => {
        scopes.push(scope);
        return { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
      buildSource: async () => fakeSource({}),
      rotationQueue: async (instance, url, credential) => {
        queues.push(`${instance} ${url} ${credential.spec.kind}`);
        return { name: "rotationQueue q", status: "ok", detail: "peeked" };
      },
    });
    const out = await keyvaultCheck({
      component: component("kv"),
      md: md({ rotationQueue: "events", rotationQueueAccount: "acct" }),
      doctor,
    });
    expect(out.checks.map((k) => k.name)).toEqual([
      "token for https://vault.azure.net",
      `vault ${VAULT}`,
      "rotationQueue q",
    ]);
    expect(out.checks[1]!.detail).toContain("the vault is empty");
    expect(scopes).toEqual([KEY_VAULT_SCOPE, STORAGE_SCOPE]);
    expect(queues).toEqual(["kv https://acct.queue.core.windows.net/events managed"]);
  });
});
