/**
 * Workload identity (AKS) end to end, offline: a real daprd, keyless, the Entra ID stand-in, the Key Vault
 * stand-in and Azurite. The environment is what the Azure Workload Identity webhook sets (AZURE_CLIENT_ID,
 * AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST); each component names its own client
 * id, which wins over AZURE_CLIENT_ID. Access tokens live 24 hours, the projected token one hour.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { renameSync } from "node:fs";
import { componentYaml } from "../helpers/componentYaml.js";
import { startWorkloadWorld } from "../helpers/entra.js";
import { call, stateApi } from "../helpers/http.js";
import { startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { startStack, type Stack } from "./fixture.js";
import { canary } from "../helpers/suiteRecord.js";

const POD = { namespace: "shop", serviceAccount: "orders" };

describe("workload identity through daprd", () => {
  const value = canary("wi");
  let world: Awaited<ReturnType<typeof startWorkloadWorld>>;
  let azurite: Azurite;
  let stack: Stack;
  let api: string;
  /** Every projected token written, so the log check can look for them too. */
  const projected: string[] = [];
  const writeToken = async (m: Parameters<typeof world.writeToken>[0]) => {
    projected.push((await world.writeToken(m)).token);
  };

  const secret = (store: string, name: string) => call("GET", `${api}/secrets/${store}/${name}`);
  const tokenRequests = (app: string, resource: string) =>
    world.entra.requests.filter(
      (r) =>
        r.kind === "token" &&
        r.status === 200 &&
        r.clientId === world.app(app).clientId &&
        r.scope?.includes(resource),
    );

  beforeAll(async () => {
    world = await startWorkloadWorld({
      apps: [
        // The identity the pod's service account is annotated with: the webhook's AZURE_CLIENT_ID.
        { name: "pod-default", ...POD },
        { name: "vault-reader", ...POD },
        { name: "table-writer", ...POD },
        { name: "late", ...POD },
        { name: "expired", ...POD },
        // Trusts another service account only: this pod's token matches none of its federated credentials.
        { name: "stranger", namespace: "shop", serviceAccount: "payments" },
      ],
      secrets: [{ name: "db-password", value }],
      access: { "vault-reader": "*", late: "*", expired: "*" },
    });
    await writeToken(POD);
    azurite = await startTestAzurite();
    const vaultUri = world.vault.url;
    const wi = (clientId?: string, extra: Record<string, string> = {}) => ({
      vaultUri,
      azureCredential: "workloadidentity",
      ...(clientId && { azureClientId: clientId }),
      ...extra,
    });
    stack = await startStack({
      tag: "wi",
      components: [],
      keylessEnv: {
        AZURE_CLIENT_ID: world.app("pod-default").clientId,
        AZURE_TENANT_ID: world.entra.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: world.tokenFile,
        AZURE_AUTHORITY_HOST: world.entra.authorityHost,
      },
      extra: {
        "kv-wi.yaml": componentYaml("kv-wi", "secretstores.keyless", wi(world.app("vault-reader").clientId)),
        "kv-wi-env.yaml": componentYaml("kv-wi-env", "secretstores.keyless", wi()),
        "tables-wi.yaml": componentYaml("tables-wi", "state.keyless", {
          backend: "tables",
          tableEndpoint: azurite.tableUrl,
          tableName: "workload",
          azureCredential: "workloadidentity",
          azureClientId: world.app("table-writer").clientId,
        }),
        "kv-late.yaml": componentYaml("kv-late", "secretstores.keyless", wi(world.app("late").clientId)),
        "kv-expired.yaml": componentYaml(
          "kv-expired",
          "secretstores.keyless",
          wi(world.app("expired").clientId),
        ),
        "kv-stranger.yaml": componentYaml(
          "kv-stranger",
          "secretstores.keyless",
          wi(world.app("stranger").clientId),
        ),
        "kv-unknown-client.yaml": componentYaml(
          "kv-unknown-client",
          "secretstores.keyless",
          wi(randomUUID()),
        ),
        "kv-wrong-tenant.yaml": componentYaml(
          "kv-wrong-tenant",
          "secretstores.keyless",
          wi(world.app("vault-reader").clientId, { azureTenantId: randomUUID() }),
        ),
      },
    });
    api = `${stack.daprd.http}/v1.0`;
  });

  afterAll(async () => {
    await stack?.stop();
    await azurite?.stop();
    await world?.close();
  });

  it("reads Key Vault with the component's own client id, which wins over AZURE_CLIENT_ID", async () => {
    const r = await secret("kv-wi", "db-password");
    expect(r.json).toEqual({ "db-password": value });
    expect(tokenRequests("vault-reader", "https://vault.azure.net/.default")).toHaveLength(1);
    expect(tokenRequests("pod-default", "vault")).toHaveLength(0);
  });

  it("stores state in Azurite Tables with its own workload identity", async () => {
    const s = stateApi(stack.daprd.http, "tables-wi");
    expect((await s.save([{ key: "order-1", value: { n: 1 } }])).status).toBe(204);
    expect((await s.get("order-1")).json).toEqual({ n: 1 });
    expect(tokenRequests("table-writer", "https://storage.azure.com/.default")).toHaveLength(1);
  });

  it("uses AZURE_CLIENT_ID when the component names no client id", async () => {
    const r = await secret("kv-wi-env", "db-password");
    // pod-default exchanged its token fine but may not read this vault.
    expect(r.status).toBe(500);
    expect(r.text).toContain("HTTP 403");
    expect(tokenRequests("pod-default", "https://vault.azure.net/.default")).toHaveLength(1);
  });

  it("asks Entra once per identity and resource: 24-hour tokens are reused", async () => {
    for (let i = 0; i < 20; i++) expect((await secret("kv-wi", "db-password")).status).toBe(200);
    const s = stateApi(stack.daprd.http, "tables-wi");
    for (let i = 0; i < 20; i++) expect((await s.get("order-1")).status).toBe(200);
    expect(tokenRequests("vault-reader", "vault")).toHaveLength(1);
    expect(tokenRequests("table-writer", "storage")).toHaveLength(1);
  });

  it("names the identity and the missing federated credential (AADSTS70021) with the command that adds it", async () => {
    const r = await secret("kv-stranger", "db-password");
    expect(r.status).toBe(500);
    expect(r.text).toContain(world.app("stranger").clientId);
    expect(r.text).toContain("AADSTS70021");
    expect(r.text).toContain("subject system:serviceaccount:shop:orders");
    expect(r.text).toContain("az identity federated-credential create");
  });

  it("names an unknown client id (AADSTS700016) and a tenant that is not the vault's", async () => {
    const unknown = await secret("kv-unknown-client", "db-password");
    expect(unknown.text).toContain("AADSTS700016");
    expect(unknown.text).toContain("azureClientId");
    const tenant = await secret("kv-wrong-tenant", "db-password");
    expect(tenant.text).toContain(
      `the resource belongs to tenant ${world.entra.tenantId}, not to the identity's tenant`,
    );
    expect(tenant.text).toContain("azureTenantId");
  });

  it("says when the token file is missing, and recovers once it is back, without a restart", async () => {
    const aside = `${world.tokenFile}.aside`;
    renameSync(world.tokenFile, aside);
    try {
      const r = await secret("kv-late", "db-password");
      expect(r.status).toBe(500);
      expect(r.text).toContain(`federated token file ${world.tokenFile} does not exist`);
      expect(r.text).toContain(world.app("late").clientId);
      expect(r.text).toContain("azure.workload.identity/use");
    } finally {
      renameSync(aside, world.tokenFile);
    }
    expect((await secret("kv-late", "db-password")).json).toEqual({ "db-password": value });
  });

  it("says when the token in the file has expired", async () => {
    const hourAgo = Math.floor(Date.now() / 1000) - 2 * 3600;
    await writeToken({ ...POD, issuedAt: hourAgo });
    try {
      const r = await secret("kv-expired", "db-password");
      expect(r.status).toBe(500);
      expect(r.text).toMatch(/holds a service account token that expired at \d{4}-/);
      expect(r.text).toContain(world.app("expired").clientId);
    } finally {
      await writeToken(POD);
    }
  });

  it("never logs the service-account token or an access token", () => {
    const logs = stack.keyless.lines.join("\n");
    expect(world.entra.issued.length).toBeGreaterThan(3);
    for (const t of [...world.entra.issued, ...projected]) expect(logs).not.toContain(t.split(".")[2]);
    expect(logs).not.toContain(value);
  });
});
