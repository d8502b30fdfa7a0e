/**
 * The Entra ID stand-in is accepted by the real @azure/identity credentials for workload identity
 * (WorkloadIdentityCredential and ClientAssertionCredential, MSAL Node underneath): OpenID configuration,
 * instance metadata, the client-assertion token exchange, 24-hour access tokens the Key Vault stand-in
 * and Azurite accept, and Entra-shaped refusals with AADSTS codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientAssertionCredential, WorkloadIdentityCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { TableClient } from "@azure/data-tables";
import { startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { RoutingAgent, startWorkloadWorld } from "../helpers/entra.js";
import { scrubAzureEnv } from "../helpers/standins.js";

const VAULT_SCOPE = "https://vault.azure.net/.default";
const NO_RETRY = { maxRetries: 0 };

describe("Entra ID stand-in with the real workload identity credentials", () => {
  let world: Awaited<ReturnType<typeof startWorkloadWorld>>;
  let azurite: Azurite;

  beforeAll(async () => {
    scrubAzureEnv();
    world = await startWorkloadWorld({
      apps: [
        { name: "orders", namespace: "shop", serviceAccount: "orders" },
        { name: "billing", namespace: "shop", serviceAccount: "billing" },
      ],
      secrets: [{ name: "db-password", value: "from-the-vault" }],
      access: { orders: "*" },
    });
    azurite = await startTestAzurite();
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
    await world?.close();
  });

  const port = () => Number(new URL(world.entra.authorityHost).port);

  it("lets WorkloadIdentityCredential read Key Vault with a 24-hour token from the token file", async () => {
    await world.writeToken({ namespace: "shop", serviceAccount: "orders" });
    const credential = new WorkloadIdentityCredential({
      tenantId: world.entra.tenantId,
      clientId: world.app("orders").clientId,
      tokenFilePath: world.tokenFile,
      authorityHost: world.entra.authorityHost,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken(VAULT_SCOPE);
    expect(token.expiresOnTimestamp - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const client = new SecretClient(world.vault.url, credential, {
      disableChallengeResourceVerification: true,
    });
    expect((await client.getSecret("db-password")).value).toBe("from-the-vault");
    expect(world.entra.requests.map((r) => r.kind)).toEqual(
      expect.arrayContaining(["openid-configuration", "token"]),
    );
    expect(world.entra.requests.find((r) => r.kind === "token")).toMatchObject({
      status: 200,
      subject: "system:serviceaccount:shop:orders",
      scope: expect.stringContaining(VAULT_SCOPE),
    });
  });

  it("lets ClientAssertionCredential write to Azurite Tables with the exchanged token", async () => {
    const minted = await world.cluster.mint({ namespace: "shop", serviceAccount: "billing" });
    const credential = new ClientAssertionCredential(
      world.entra.tenantId,
      world.app("billing").clientId,
      async () => minted.token,
      { authorityHost: world.entra.authorityHost, disableInstanceDiscovery: true },
    );
    const table = new TableClient(azurite.tableUrl, "workload", credential);
    await table.createTable();
    await table.upsertEntity({ partitionKey: "p", rowKey: "r", n: 7 });
    expect((await table.getEntity("p", "r")).n).toBe(7);
    expect(world.entra.requests.at(-1)).toMatchObject({ kind: "token", assertionId: minted.id, status: 200 });
  });

  it("answers instance discovery the way MSAL reads it when instance discovery is on", async () => {
    const minted = await world.cluster.mint({ namespace: "shop", serviceAccount: "orders" });
    const before = world.entra.requests.length;
    // MSAL asks login.microsoftonline.com to vouch for an authority it does not know; route that host here.
    const credential = new ClientAssertionCredential(
      world.entra.tenantId,
      world.app("orders").clientId,
      async () => minted.token,
      {
        authorityHost: world.entra.authorityHost,
        agent: new RoutingAgent(["login.microsoftonline.com"], port()),
      },
    );
    await expect(credential.getToken(VAULT_SCOPE)).resolves.toMatchObject({ token: expect.any(String) });
    expect(world.entra.requests.slice(before).map((r) => r.kind)).toEqual([
      "instance-discovery",
      "openid-configuration",
      "token",
    ]);
  });

  const exchange = (tenantId: string, clientId: string, assertion: string) =>
    new ClientAssertionCredential(tenantId, clientId, async () => assertion, {
      authorityHost: world.entra.authorityHost,
      disableInstanceDiscovery: true,
      retryOptions: NO_RETRY,
    }).getToken(VAULT_SCOPE);

  it("refuses an expired service-account token with AADSTS700024", async () => {
    const old = await world.cluster.mint({
      namespace: "shop",
      serviceAccount: "orders",
      issuedAt: Math.floor(Date.now() / 1000) - 7200,
    });
    await expect(exchange(world.entra.tenantId, world.app("orders").clientId, old.token)).rejects.toThrow(
      /AADSTS700024/,
    );
    expect(world.entra.requests.at(-1)).toMatchObject({ status: 401, aadsts: 700024 });
  });

  it("refuses a subject with no federated credential with AADSTS70021", async () => {
    const other = await world.cluster.mint({ namespace: "shop", serviceAccount: "intruder" });
    await expect(exchange(world.entra.tenantId, world.app("orders").clientId, other.token)).rejects.toThrow(
      /AADSTS70021/,
    );
    expect(world.entra.requests.at(-1)).toMatchObject({
      status: 400,
      aadsts: 70021,
      subject: "system:serviceaccount:shop:intruder",
    });
  });

  it("refuses another audience and a token signed by another issuer", async () => {
    const wrongAud = await world.cluster.mint({
      namespace: "shop",
      serviceAccount: "orders",
      audience: "api://x",
    });
    await expect(
      exchange(world.entra.tenantId, world.app("orders").clientId, wrongAud.token),
    ).rejects.toThrow(/AADSTS70021/);
    const { createServiceAccountIssuer } = await import("../../dev/serviceAccountIssuer.js");
    const forger = await createServiceAccountIssuer({ issuer: world.cluster.issuer });
    const forged = await forger.mint({ namespace: "shop", serviceAccount: "orders" });
    await expect(exchange(world.entra.tenantId, world.app("orders").clientId, forged.token)).rejects.toThrow(
      /AADSTS700027/,
    );
  });

  it("refuses an unknown client id with AADSTS700016", async () => {
    const t = await world.cluster.mint({ namespace: "shop", serviceAccount: "orders" });
    await expect(
      exchange(world.entra.tenantId, "00000000-0000-4000-8000-0000000000aa", t.token),
    ).rejects.toThrow(/AADSTS700016/);
  });

  it("answers 400 AADSTS90002 for another tenant's OpenID configuration", async () => {
    const t = await world.cluster.mint({ namespace: "shop", serviceAccount: "orders" });
    const wrongTenant = "11111111-1111-4111-8111-111111111111";
    await expect(exchange(wrongTenant, world.app("orders").clientId, t.token)).rejects.toThrow();
    expect(world.entra.requests.at(-1)).toMatchObject({
      kind: "openid-configuration",
      tenant: wrongTenant,
      status: 400,
      aadsts: 90002,
    });
  });
});
