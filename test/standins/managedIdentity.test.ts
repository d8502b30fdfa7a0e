/** The managed-identity stand-in (Container Apps protocol) as the real ManagedIdentityCredential sees it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "@azure/identity";
import { startIdentityStandIn, makeIdentity, type IdentityStandIn } from "../../dev/identityStandIn.js";
import { scrubAzureEnv } from "../helpers/standins.js";

describe("managed-identity stand-in, Container Apps protocol", () => {
  const system = makeIdentity("app-system", { systemAssigned: true });
  const orders = makeIdentity("orders");
  let mi: IdentityStandIn;

  beforeAll(async () => {
    scrubAzureEnv();
    mi = await startIdentityStandIn({ identities: [system, orders] });
    // MSAL fixes the managed-identity source and endpoint per process at first use: set them first.
    Object.assign(process.env, mi.env());
  });
  afterAll(async () => mi?.close());

  const claimsOf = (token: string) => mi.signer.verify(token)!;

  it("issues a token for the system-assigned identity", async () => {
    const t = await new ManagedIdentityCredential().getToken("https://vault.azure.net/.default");
    const c = claimsOf(t.token);
    expect(c.oid).toBe(system.objectId);
    expect(c.aud).toBe("https://vault.azure.net");
    expect(c.iss).toBe(`https://sts.windows.net/${mi.tenantId}/`);
    expect(t.expiresOnTimestamp).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  it("issues tokens for a user-assigned identity by client id, resource id and object id", async () => {
    for (const cred of [
      new ManagedIdentityCredential({ clientId: orders.clientId }),
      new ManagedIdentityCredential({ resourceId: orders.resourceId }),
      new ManagedIdentityCredential({ objectId: orders.objectId }),
    ]) {
      const t = await cred.getToken("https://storage.azure.com/.default");
      expect(claimsOf(t.token)).toMatchObject({
        oid: orders.objectId,
        appid: orders.clientId,
        aud: "https://storage.azure.com",
      });
    }
    const seen = mi.requests.filter((r) => r.resource === "https://storage.azure.com");
    expect(seen.map((r) => r.identity)).toEqual([orders.clientId, orders.resourceId, orders.objectId]);
  });

  it("refuses an unknown client id with a 400 the credential reports at once", async () => {
    const unknown = "11111111-2222-3333-4444-555555555555";
    await expect(
      new ManagedIdentityCredential({ clientId: unknown }).getToken("https://vault.azure.net/.default"),
    ).rejects.toThrow(/No Managed Identity found/);
    // "At once" is one request, not a time: a retried 400 would show here, however fast the machine.
    expect(mi.requests.filter((r) => r.identity === unknown)).toHaveLength(1);
  });

  it("checks the identity header (the SSRF guard)", async () => {
    const r = await fetch(`${mi.endpoint}?api-version=2019-08-01&resource=https://vault.azure.net`);
    expect(r.status).toBe(401);
    const ok = await fetch(`${mi.endpoint}?api-version=2019-08-01&resource=https://vault.azure.net`, {
      headers: { "x-identity-header": mi.header },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      token_type: "Bearer",
      expires_on: expect.stringMatching(/^\d+$/),
    });
  });
});
