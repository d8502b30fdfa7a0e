/** The managed-identity stand-in's IMDS flavour, as the real ManagedIdentityCredential sees it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "@azure/identity";
import { startIdentityStandIn, makeIdentity, type IdentityStandIn } from "../../dev/identityStandIn.js";
import { scrubAzureEnv } from "../helpers/standins.js";

describe("managed-identity stand-in, IMDS protocol", () => {
  const vm = makeIdentity("vm", { systemAssigned: true });
  const worker = makeIdentity("worker");
  let mi: IdentityStandIn;

  beforeAll(async () => {
    scrubAzureEnv();
    delete process.env.IDENTITY_ENDPOINT;
    delete process.env.IDENTITY_HEADER;
    mi = await startIdentityStandIn({ identities: [vm, worker] });
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = mi.imdsHost;
  });
  afterAll(async () => mi?.close());

  it("serves system-assigned and user-assigned tokens with the Metadata header", async () => {
    const sys = await new ManagedIdentityCredential().getToken("https://vault.azure.net/.default");
    expect(mi.signer.verify(sys.token)?.oid).toBe(vm.objectId);
    const ua = await new ManagedIdentityCredential({ resourceId: worker.resourceId }).getToken(
      "https://vault.azure.net/.default",
    );
    expect(mi.signer.verify(ua.token)?.oid).toBe(worker.objectId);
    expect(mi.requests.every((r) => r.protocol === "imds" && r.status === 200)).toBe(true);
  });

  it("refuses a request without Metadata: true", async () => {
    const r = await fetch(`${mi.imdsHost}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x`);
    expect(r.status).toBe(400);
  });
});
