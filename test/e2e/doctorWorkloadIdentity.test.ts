/**
 * `keyless doctor` for workload identity: the webhook's settings and the projected token file (with the
 * claims Entra matches), then Entra's verdict, each failure with its fix. Against the Entra ID and Key
 * Vault stand-ins, with the environment the Azure Workload Identity webhook sets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DoctorReport } from "../../src/doctor/report.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { startWorkloadWorld } from "../helpers/entra.js";
import { runDoctor } from "../helpers/doctor.js";

const POD = { namespace: "shop", serviceAccount: "orders" };

describe("keyless doctor with workload identity", () => {
  let world: Awaited<ReturnType<typeof startWorkloadWorld>>;
  let dir: string;

  const doctor = async (env: Record<string, string> = {}): Promise<DoctorReport> => {
    const { stdout } = await runDoctor(["--components", dir, "--json"], {
      cwd: world.dir,
      env: {
        AZURE_CLIENT_ID: world.app("reader").clientId,
        AZURE_TENANT_ID: world.entra.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: world.tokenFile,
        AZURE_AUTHORITY_HOST: world.entra.authorityHost,
        ...env,
      },
    });
    try {
      return JSON.parse(stdout) as DoctorReport;
    } catch (e) {
      throw new Error(`doctor printed no JSON: ${stdout}`, { cause: e });
    }
  };
  const checks = (r: DoctorReport, component: string) =>
    r.components.find((c) => c.component === component)!.checks;

  beforeAll(async () => {
    world = await startWorkloadWorld({
      apps: [
        { name: "reader", ...POD },
        { name: "stranger", namespace: "shop", serviceAccount: "payments" },
      ],
      secrets: [{ name: "db-password", value: "pw" }],
      access: { reader: "*" },
    });
    await world.writeToken(POD);
    dir = path.join(world.dir, "components");
    mkdirSync(dir);
    const kv = (name: string, extra: Record<string, string> = {}) =>
      writeFileSync(
        path.join(dir, `${name}.yaml`),
        componentYaml(name, "secretstores.keyless", {
          vaultUri: world.vault.url,
          azureCredential: "workloadidentity",
          ...extra,
        }),
      );
    kv("wi-healthy");
    kv("wi-stranger", { azureClientId: world.app("stranger").clientId });
    kv("wi-unknown-client", { azureClientId: randomUUID() });
    kv("wi-wrong-tenant", { azureTenantId: randomUUID() });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("shows the identity, the token file's claims and a token for a healthy setup", async () => {
    const r = await doctor();
    expect(r.environment.set).toEqual(
      expect.arrayContaining(["AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"]),
    );
    const healthy = checks(r, "wi-healthy");
    expect(healthy.every((k) => k.status === "ok")).toBe(true);
    expect(healthy[1]).toMatchObject({
      name: "workload identity",
      detail: expect.stringMatching(
        new RegExp(
          `client id ${world.app("reader").clientId} \\(AZURE_CLIENT_ID\\).*subject system:serviceaccount:shop:orders, audience api://AzureADTokenExchange, valid for (59|60) more minutes`,
        ),
      ),
    });
  });

  it("fails a missing federated credential, an unknown client id and a wrong tenant with their fixes", async () => {
    const r = await doctor();
    expect(r.ok).toBe(false);
    const stranger = checks(r, "wi-stranger").find((k) => k.status === "fail")!;
    expect(stranger.detail).toMatch(/AADSTS70021.*az identity federated-credential create/);
    const unknown = checks(r, "wi-unknown-client").find((k) => k.status === "fail")!;
    expect(unknown.detail).toMatch(/AADSTS700016.*check azureClientId/);
    const tenant = checks(r, "wi-wrong-tenant").find((k) => k.status === "fail")!;
    expect(tenant.detail).toMatch(/does not know tenant [0-9a-f-]{36}.*check azureTenantId/);
  });

  it("fails a missing or expired token file before asking Entra", async () => {
    const missing = await doctor({ AZURE_FEDERATED_TOKEN_FILE: path.join(world.dir, "nope") });
    expect(checks(missing, "wi-healthy")[1]).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("nope does not exist"),
      fix: expect.stringContaining('azure.workload.identity/use: "true"'),
    });
    await world.writeToken({ ...POD, issuedAt: Math.floor(Date.now() / 1000) - 7200 });
    try {
      const expired = await doctor();
      expect(checks(expired, "wi-healthy")[1]).toMatchObject({
        status: "fail",
        detail: expect.stringMatching(/holds a service account token that expired at/),
      });
    } finally {
      await world.writeToken(POD);
    }
  });

  it("fails when the webhook's variables are missing, naming what provides them", async () => {
    const r = await doctor({ AZURE_CLIENT_ID: "" });
    expect(checks(r, "wi-healthy")[1]).toMatchObject({
      status: "fail",
      detail: "no client id",
      fix: expect.stringContaining("azure.workload.identity/client-id"),
    });
  });
});
