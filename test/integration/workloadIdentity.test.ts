/**
 * keyless's workload identity credential (through the process-wide CredentialPool, as components use
 * it) against the Entra ID and Key Vault stand-ins with the real SDK: token file rotation under a fake
 * clock with production lifetimes (24-hour access tokens, 1-hour projected tokens), and each failure
 * naming the identity and the fix.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { CredentialPool } from "../../src/identity/credentialPool.js";
import { createKeyVaultSource } from "../../src/secrets/sources/keyvault/keyVaultSource.js";
import { startWorkloadWorld } from "../helpers/entra.js";
import { scrubAzureEnv } from "../helpers/standins.js";

const POD = { namespace: "shop", serviceAccount: "orders" };
const HOUR = 3600_000;
const VAULT_SCOPE = "https://vault.azure.net/.default";

type World = Awaited<ReturnType<typeof startWorkloadWorld>>;

function webhookEnv(world: World) {
  scrubAzureEnv();
  Object.assign(process.env, {
    AZURE_CLIENT_ID: world.app("reader").clientId,
    AZURE_TENANT_ID: world.entra.tenantId,
    AZURE_FEDERATED_TOKEN_FILE: world.tokenFile,
    AZURE_AUTHORITY_HOST: world.entra.authorityHost,
  });
}

const vaultSource = (world: World, pool: CredentialPool, spec = { kind: "workload" as const }) =>
  createKeyVaultSource({
    instance: "kv-wi",
    vaultUrl: world.vault.url,
    credential: pool.get(spec),
    nameMapping: "dashes",
    timeoutMs: 5000,
    log: pino({ level: "silent" }),
  });

describe("workload identity token file rotation (fake clock, production lifetimes)", () => {
  let world: World;
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-03-01T08:00:00Z") });
    world = await startWorkloadWorld({
      apps: [{ name: "reader", ...POD }],
      secrets: [{ name: "db-password", value: "pw" }],
      access: { reader: "*" },
    });
    webhookEnv(world);
  });
  afterEach(async () => {
    await world.close();
    scrubAzureEnv();
    vi.useRealTimers();
  });

  const exchanges = () => world.entra.requests.filter((r) => r.kind === "token" && r.status === 200);

  it("reads the rewritten file when the 24-hour access token expires, and only then", async () => {
    const pool = new CredentialPool();
    const source = vaultSource(world, pool);
    const first = await world.writeToken(POD);
    expect(await source.get("db-password")).toBe("pw");
    expect(exchanges().map((r) => r.assertionId)).toEqual([first.id]);

    // The kubelet rewrites the file at ~80% of its hour; the access token is still good: no exchange.
    vi.setSystemTime(Date.now() + 48 * 60_000);
    await world.writeToken(POD);
    expect(await source.get("db-password")).toBe("pw");
    expect(exchanges()).toHaveLength(1);

    // A day later the access token has expired; every earlier token file content is long expired too.
    vi.setSystemTime(Date.now() + 24 * HOUR);
    const current = await world.writeToken(POD);
    expect(await source.get("db-password")).toBe("pw");
    expect(exchanges().map((r) => r.assertionId)).toEqual([first.id, current.id]);
  });

  it("fails with the file's expiry and the fix when the kubelet stopped rewriting it", async () => {
    const pool = new CredentialPool();
    await world.writeToken(POD);
    await pool.get({ kind: "workload" }).getToken(VAULT_SCOPE);
    vi.setSystemTime(Date.now() + 25 * HOUR);
    await expect(pool.get({ kind: "workload" }).getToken(VAULT_SCOPE)).rejects.toMatchObject({
      code: "IDENTITY_FAILED",
      message: expect.stringMatching(
        new RegExp(
          `client id ${world.app("reader").clientId} \\(AZURE_CLIENT_ID\\).*${world.tokenFile} holds a service account token that expired at 2026-03-01T09:00:00.000Z.*projected token volume`,
        ),
      ),
    });
  });
});

describe("workload identity failures name the identity and the fix", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorkloadWorld({ apps: [{ name: "reader", ...POD }] });
    webhookEnv(world);
    await world.writeToken(POD);
  });
  afterEach(async () => {
    await world.close();
    scrubAzureEnv();
  });

  const token = (spec: { clientId?: string; tenantId?: string } = {}) =>
    new CredentialPool().get({ kind: "workload", ...spec }).getToken(VAULT_SCOPE);

  it("says which setting is missing and how the webhook provides it", async () => {
    delete process.env.AZURE_CLIENT_ID;
    await expect(token()).rejects.toThrow(
      /no client id; set azureClientId .*azure\.workload\.identity\/client-id/,
    );
    process.env.AZURE_CLIENT_ID = world.app("reader").clientId;
    delete process.env.AZURE_FEDERATED_TOKEN_FILE;
    await expect(token()).rejects.toThrow(/AZURE_FEDERATED_TOKEN_FILE is not set; label the pod/);
    process.env.AZURE_FEDERATED_TOKEN_FILE = world.tokenFile;
    delete process.env.AZURE_TENANT_ID;
    await expect(token()).rejects.toThrow(/no tenant id; set azureTenantId/);
  });

  it("says when the token file cannot be read, is empty or holds no JWT", async () => {
    const dir = path.join(world.dir, "a-directory");
    mkdirSync(dir);
    process.env.AZURE_FEDERATED_TOKEN_FILE = dir;
    await expect(token()).rejects.toThrow(`federated token file ${dir} cannot be read (EISDIR)`);
    const empty = path.join(world.dir, "empty");
    writeFileSync(empty, "\n");
    process.env.AZURE_FEDERATED_TOKEN_FILE = empty;
    await expect(token()).rejects.toThrow(`federated token file ${empty} is empty`);
    writeFileSync(empty, "not-a-jwt");
    await expect(token({ clientId: world.app("reader").clientId })).rejects.toThrow("does not hold a JWT");
  });

  it("reports Entra's AADSTS700024 when Entra's clock says the token has expired", async () => {
    await world.close();
    world = await startWorkloadWorld({
      apps: [{ name: "reader", ...POD }],
      now: () => Date.now() + 2 * HOUR,
    });
    webhookEnv(world);
    // Valid for another 30 minutes by keyless's clock, expired by Entra's (two hours ahead).
    await world.writeToken({ ...POD, issuedAt: Math.floor(Date.now() / 1000) - 30 * 60 });
    await expect(token()).rejects.toMatchObject({
      code: "IDENTITY_FAILED",
      message: expect.stringMatching(/is expired or not yet valid \(AADSTS700024\).*node's clock/),
    });
  });

  it("reports a tenant the authority does not know, with the setting to check", async () => {
    const other = "22222222-2222-4222-8222-222222222222";
    await expect(token({ tenantId: other })).rejects.toMatchObject({
      code: "IDENTITY_UNKNOWN",
      message: expect.stringContaining(`does not know tenant ${other}`),
    });
    await expect(token({ tenantId: other })).rejects.toThrow("check azureTenantId");
    expect(world.entra.requests.some((r) => r.tenant === other && r.aadsts === 90002)).toBe(true);
  });

  it("reports an unknown client id (AADSTS700016) and a missing federated credential (AADSTS70021)", async () => {
    await expect(token({ clientId: "33333333-3333-4333-8333-333333333333" })).rejects.toMatchObject({
      code: "IDENTITY_UNKNOWN",
      message: expect.stringMatching(
        /no application or managed identity with client id 3{8}-.*AADSTS700016.*azureClientId/,
      ),
    });
    await world.writeToken({ namespace: "shop", serviceAccount: "payments" });
    await expect(token()).rejects.toMatchObject({
      code: "IDENTITY_UNKNOWN",
      message: expect.stringMatching(
        /no federated credential .*subject system:serviceaccount:shop:payments.*AADSTS70021.*--issuer https:\/\//,
      ),
    });
  });
});
