/** `keyless doctor` against the stand-ins: a healthy setup, and each seeded misconfiguration with its fix. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DoctorReport } from "../../src/doctor/report.js";
import { runDoctor } from "../helpers/doctor.js";
import { freePort } from "../helpers/ports.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { componentYaml, type MetadataValue } from "../helpers/componentYaml.js";
import { DEV_ACCOUNT, DEV_KEY, startTestAzurite, type Azurite } from "../helpers/azurite.js";

const component = (name: string, type: string, meta: Record<string, MetadataValue>, secretStore?: string) =>
  componentYaml(name, type, meta, secretStore ? { secretStore } : {});

describe("keyless doctor", () => {
  const good = makeIdentity("good");
  const noAccess = makeIdentity("no-access");
  const tmp = makeTmpDir("doc");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let dir: string;
  let azurite: Azurite;
  let closedPort: number;

  const run = (...args: string[]) => doctor("--components", dir, ...args);
  const doctor = (...args: string[]) => runDoctor(args, { cwd: tmp.dir, env: env.identity.env() });

  beforeAll(async () => {
    azurite = await startTestAzurite();
    env = await startStandIns({
      identities: [good, noAccess],
      secrets: [{ name: "db-path", value: path.join(tmp.dir, "state.db") }],
      access: { [good.objectId]: "*" },
    });
    closedPort = await freePort();
    dir = path.join(tmp.dir, "components");
    mkdirSync(dir);
    const files: Record<string, string> = {
      "healthy.yaml": component("healthy", "secretstores.keyless", {
        vaultUri: env.vault.url,
        azureClientId: good.clientId,
      }),
      "unknown-id.yaml": component("unknown-id", "secretstores.keyless", {
        vaultUri: env.vault.url,
        azureClientId: "99999999-9999-4999-8999-999999999999",
      }),
      "no-access.yaml": component("no-access", "secretstores.keyless", {
        vaultUri: env.vault.url,
        azureClientId: noAccess.clientId,
      }),
      "unreachable.yaml": component("unreachable", "secretstores.keyless", {
        vaultUri: `https://127.0.0.1:${closedPort}`,
        azureClientId: good.clientId,
        requestTimeout: "2s",
      }),
      // Failover would hide a broken secondary from serve; the doctor checks each vault on its own.
      "two-vaults.yaml": component("two-vaults", "secretstores.keyless", {
        vaultUris: `${env.vault.url},https://127.0.0.1:${closedPort}`,
        azureClientId: good.clientId,
        requestTimeout: "2s",
      }),
      "aca-no-manifest.yaml": component("aca-no-manifest", "secretstores.keyless", {
        containerAppManifest: "no-such-app.yaml",
      }),
      "table-to-create.yaml": component("table-to-create", "state.keyless", {
        backend: "tables",
        tableEndpoint: azurite.tableUrl,
        accountName: DEV_ACCOUNT,
        accountKey: DEV_KEY,
        tableName: "notcreatedyet",
      }),
      "table-skip-create.yaml": component("table-skip-create", "state.keyless", {
        backend: "tables",
        tableEndpoint: azurite.tableUrl,
        accountName: DEV_ACCOUNT,
        accountKey: DEV_KEY,
        tableName: "notcreatedyet",
        skipCreateTable: "true",
      }),
      "state-ok.yaml": component(
        "state-ok",
        "state.keyless",
        { connectionString: { secretKeyRef: "db-path" } },
        "healthy",
      ),
      "state-missing.yaml": component(
        "state-missing",
        "state.keyless",
        { connectionString: { secretKeyRef: "no-such-secret" } },
        "healthy",
      ),
    };
    for (const [f, y] of Object.entries(files)) writeFileSync(path.join(dir, f), y);
    // The Container Apps schema, as `az containerapp env dapr-component set --yaml` takes it.
    writeFileSync(
      path.join(dir, "aca-state.yaml"),
      [
        "componentType: state.keyless",
        "version: v1",
        "metadata:",
        "  - name: connectionString",
        "    secretRef: db-path",
        "secretStoreComponent: healthy",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await azurite?.stop();
    await env?.close();
    tmp.cleanup();
  });

  it("explains each seeded misconfiguration with its fix, as JSON, and exits 1", async () => {
    const r = await run("--json");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const of = (name: string) => report.components.find((c) => c.component === name)!;
    const failing = (name: string) => of(name).checks.filter((k) => k.status === "fail");

    expect(of("healthy").checks.every((k) => k.status === "ok")).toBe(true);
    expect(of("healthy").identity).toContain(good.clientId);

    const unknown = failing("unknown-id")[0]!;
    expect(unknown.detail).toMatch(/does not know this identity/);
    expect(unknown.fix).toContain("99999999-9999-4999-8999-999999999999");

    const denied = failing("no-access")[0]!;
    expect(denied.detail).toContain("HTTP 403");
    expect(denied.fix).toContain("Key Vault Secrets User");

    const down = failing("unreachable")[0]!;
    expect(down.detail).toMatch(/unreachable/);
    expect(down.fix).toMatch(/vaultName/);

    const vaults = of("two-vaults").checks.filter((k) => k.name.startsWith("vault "));
    expect(vaults.map((k) => [k.name, k.status])).toEqual([
      [`vault ${env.vault.url}`, "ok"],
      [`vault https://127.0.0.1:${closedPort}`, "fail"],
    ]);
    expect(vaults[1]!.detail).toMatch(/unreachable/);

    expect(of("state-ok").checks.every((k) => k.status === "ok")).toBe(true);
    expect(of("aca-state").checks.every((k) => k.status === "ok")).toBe(true);
    const missing = failing("state-missing")[0]!;
    expect(missing.detail).toContain('"no-such-secret" not found');
    expect(missing.fix).toContain("az keyvault secret set");

    expect(report.environment.set).toContain("IDENTITY_ENDPOINT");
    expect(JSON.stringify(report)).not.toContain(path.join(tmp.dir, "state.db"));
  });

  it("prints a readable text report by default", async () => {
    const r = await run();
    expect(r.stdout).toContain("keyless doctor: problems found");
    expect(r.stdout).toMatch(/\[FAIL\] vault https:\/\/127\.0\.0\.1:\d+: .*HTTP 403/);
    expect(r.stdout).toMatch(/fix: az role assignment create --role "Key Vault Secrets User"/);
  });

  it("says what serve would do with a missing table: create it, unless skipCreateTable is set", async () => {
    const report = JSON.parse((await run("--json")).stdout) as DoctorReport;
    const table = (name: string) =>
      report.components.find((c) => c.component === name)!.checks.find((k) => k.name.startsWith("table"))!;
    const create = table("table-to-create");
    expect(create.status).toBe("warn");
    expect(create.detail).toContain("keyless creates it at Init (skipCreateTable is not set)");
    expect(create.detail).not.toContain("skipCreateTable is set");
    const skip = table("table-skip-create");
    expect(skip.status).toBe("fail");
    expect(skip.detail).toContain("skipCreateTable is set");
    expect(skip.fix).toContain("az storage table create --name notcreatedyet");
  });

  it("reports a --components path that does not exist, without a stack trace, and exits 1", async () => {
    const r = await doctor("--components", path.join(tmp.dir, "nonexistent"));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/nonexistent: does not exist/);
    expect(r.stdout).toContain("checked: 0 keyless component(s) in 0 YAML file(s)");
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 1 and says nothing was checked when the YAMLs hold no keyless component", async () => {
    const other = path.join(tmp.dir, "other");
    mkdirSync(other);
    writeFileSync(path.join(other, "redis.yaml"), component("cache", "state.redis", { redisHost: "x:6379" }));
    for (const target of [other, path.join(other, "redis.yaml")]) {
      const r = await doctor("--components", target);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("problems found");
      expect(r.stdout).toContain("nothing was checked");
      expect(r.stdout).not.toContain("all checks passed");
    }
  });

  it("builds the containerapp source as serve does, so an unreadable manifest fails", async () => {
    const report = JSON.parse((await run("--json")).stdout) as DoctorReport;
    const check = report.components
      .find((c) => c.component === "aca-no-manifest")!
      .checks.find((k) => k.name === "containerapp source")!;
    expect(check.status).toBe("fail");
    expect(check.detail).toMatch(/cannot read the app manifest .*no-such-app\.yaml \(ENOENT\)/);
  });
});
