import { describe, expect, it } from "vitest";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { CachedCredential } from "../../src/identity/cachedCredential.js";
import { CredentialPool } from "../../src/identity/credentialPool.js";
import { describeIdentity, identityFromMetadata, identityKey } from "../../src/identity/identitySpec.js";
import { parseSecretMetadata } from "../../src/metadata/secretMetadata.js";

function fakeCredential(lifetimeMs: number, now: () => number) {
  const state = { calls: 0 };
  const cred: TokenCredential = {
    async getToken(): Promise<AccessToken> {
      state.calls++;
      await new Promise((r) => setTimeout(r, 5));
      return { token: `t${state.calls}`, expiresOnTimestamp: now() + lifetimeMs };
    },
  };
  return { cred, state };
}

describe("identity selection", () => {
  it("chooses user-assigned by client id, resource id or object id, else system-assigned", () => {
    expect(identityFromMetadata({ azureClientId: "A" })).toEqual({
      kind: "managed",
      by: "clientId",
      id: "A",
    });
    expect(identityFromMetadata({ azureManagedIdentityResourceId: "/r" })).toMatchObject({
      by: "resourceId",
    });
    expect(identityFromMetadata({ azureObjectId: "o" })).toMatchObject({ by: "objectId" });
    expect(identityFromMetadata({})).toEqual({ kind: "managed", by: "system" });
    expect(identityFromMetadata({ azureCredential: "cli" })).toEqual({ kind: "cli" });
    expect(identityFromMetadata({ azureCredential: "workloadidentity", azureClientId: "c" })).toEqual({
      kind: "workload",
      clientId: "c",
    });
  });

  it("keys identities case-insensitively and describes them for operators", () => {
    expect(identityKey({ kind: "managed", by: "clientId", id: "ABC" })).toBe(
      identityKey({ kind: "managed", by: "clientId", id: "abc" }),
    );
    expect(describeIdentity({ kind: "managed", by: "clientId", id: "abc" })).toContain("client id abc");
    expect(describeIdentity({ kind: "managed", by: "system" })).toContain("system-assigned");
  });

  it("refuses metadata naming two identities at once", () => {
    const r = parseSecretMetadata({
      vaultName: "myvault",
      azureClientId: "11111111-1111-1111-1111-111111111111",
      azureObjectId: "22222222-2222-2222-2222-222222222222",
    });
    expect(r.problems.join()).toMatch(/azureClientId, azureObjectId: give at most one/);
  });

  it("builds the vault URL from vaultName and the cloud", () => {
    expect(parseSecretMetadata({ vaultName: "kv1" }).value?.vaultUrl).toBe("https://kv1.vault.azure.net");
    expect(
      parseSecretMetadata({ vaultName: "kv1", azureEnvironment: "AzureChinaCloud" }).value?.vaultUrl,
    ).toBe("https://kv1.vault.azure.cn");
    expect(parseSecretMetadata({ vaultName: "kv1" }).value?.sources).toEqual(["keyvault"]);
  });
});

describe("CachedCredential", () => {
  it("shares one token request among concurrent callers and reuses the token", async () => {
    const clock = 0;
    const { cred, state } = fakeCredential(3_600_000, () => clock);
    const c = new CachedCredential({ kind: "managed", by: "system" }, cred, () => clock);
    const tokens = await Promise.all(
      Array.from({ length: 100 }, () => c.getToken("https://vault.azure.net/.default")),
    );
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(["t1"]));
    await c.getToken("https://vault.azure.net/.default");
    expect(state.calls).toBe(1);
    await c.getToken("https://storage.azure.com/.default");
    expect(state.calls).toBe(2);
  });

  it("refreshes ahead of expiry in the background and drops a token on invalidate", async () => {
    let clock = 0;
    const { cred, state } = fakeCredential(600_000, () => clock);
    const c = new CachedCredential({ kind: "managed", by: "system" }, cred, () => clock);
    await c.getToken("s");
    clock = 300_001; // inside the 5-minute refresh window, still valid
    expect((await c.getToken("s")).token).toBe("t1");
    await new Promise((r) => setTimeout(r, 20));
    expect(state.calls).toBe(2);
    expect((await c.getToken("s")).token).toBe("t2");
    c.invalidate("s");
    expect((await c.getToken("s")).token).toBe("t3");
  });

  it("is shared per identity by the pool", () => {
    const pool = new CredentialPool(() => ({ getToken: async () => null }));
    expect(pool.get({ kind: "managed", by: "clientId", id: "A" })).toBe(
      pool.get({ kind: "managed", by: "clientId", id: "a" }),
    );
    expect(pool.get({ kind: "managed", by: "system" })).not.toBe(
      pool.get({ kind: "managed", by: "clientId", id: "a" }),
    );
  });

  it("renews past every cache after a 401: the fresh path, once for concurrent callers, and for claims", async () => {
    const clock = 0;
    const minted: string[] = [];
    const inner: TokenCredential & { getFreshToken(scope: string, claims?: string): Promise<AccessToken> } = {
      // The underlying credential's own cache: always the same token until forced.
      getToken: async () => ({ token: "cached-by-msal", expiresOnTimestamp: 86_400_000 }),
      async getFreshToken(_scope, claims) {
        minted.push(claims ?? "");
        return { token: `fresh${minted.length}`, expiresOnTimestamp: 86_400_000 };
      },
    };
    const c = new CachedCredential({ kind: "managed", by: "system" }, inner, () => clock);
    expect((await c.getToken("s")).token).toBe("cached-by-msal");
    const renewed = await Promise.all([c.renew("s"), c.renew("s"), c.renew("s")]);
    expect(new Set(renewed.map((t) => t.token))).toEqual(new Set(["fresh1"]));
    expect((await c.getToken("s")).token).toBe("fresh1");
    expect((await c.getToken("s", { claims: '{"x":1}' })).token).toBe("fresh2");
    expect(minted).toEqual(["", '{"x":1}']);
    expect(c.stats.renewals).toBe(2);
  });

  it("renews other credentials through a new instance, whose caches are empty", async () => {
    let instances = 0;
    const factory = (): TokenCredential => {
      const n = ++instances;
      return {
        getToken: async () => ({ token: `instance${n}`, expiresOnTimestamp: Date.now() + 86_400_000 }),
      };
    };
    const pool = new CredentialPool(factory);
    const c = pool.get({ kind: "cli" });
    expect((await c.getToken("s")).token).toBe("instance1");
    expect((await c.renew("s")).token).toBe("instance2");
    expect((await c.getToken("s")).token).toBe("instance2");
  });
});
