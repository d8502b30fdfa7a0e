/** Token failures from the real ManagedIdentityCredential, classified so operators know what to fix. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialPool } from "../../src/identity/credentialPool.js";
import { startIdentityStandIn, makeIdentity, type IdentityStandIn } from "../../dev/identityStandIn.js";
import { scrubAzureEnv } from "../helpers/standins.js";

describe("identity errors", () => {
  const known = makeIdentity("known");
  let mi: IdentityStandIn;
  const pool = new CredentialPool();

  beforeAll(async () => {
    scrubAzureEnv();
    mi = await startIdentityStandIn({ identities: [known] });
    Object.assign(process.env, mi.env());
  });
  afterAll(async () => mi?.close());

  it("says an identity is unknown to the endpoint, naming its client id", async () => {
    const err = await pool
      .get({ kind: "managed", by: "clientId", id: "99999999-9999-9999-9999-999999999999" })
      .getToken("https://vault.azure.net/.default")
      .catch((e: Error) => e);
    expect(err).toMatchObject({ code: "IDENTITY_UNKNOWN" });
    expect((err as Error).message).toContain("99999999-9999-9999-9999-999999999999");
  });

  it("says there is no system-assigned identity when none is enabled", async () => {
    await expect(
      pool.get({ kind: "managed", by: "system" }).getToken("https://vault.azure.net/.default"),
    ).rejects.toMatchObject({
      code: "IDENTITY_UNKNOWN",
      message: expect.stringContaining("system-assigned"),
    });
  });

  it("says the endpoint is unreachable when it is down", async () => {
    mi.setFault({ kind: "down" });
    const err = await pool
      .get({ kind: "managed", by: "clientId", id: known.clientId })
      .getToken("https://vault.azure.net/.default")
      .catch((e: Error) => e);
    mi.setFault({ kind: "none" });
    expect(err).toMatchObject({ code: "IDENTITY_UNREACHABLE" });
    expect((err as Error).message).toContain(known.clientId);
  });

  it("recovers once the endpoint is back", async () => {
    const t = await pool
      .get({ kind: "managed", by: "clientId", id: known.clientId })
      .getToken("https://vault.azure.net/.default");
    expect(mi.signer.verify(t.token)?.oid).toBe(known.objectId);
  });
});
