/**
 * A keyless restart (kill -9) under a running daprd, which never sends Init again, for state instances of
 * every kind of credential: SQLite (none), Tables with an account key, with a SAS, and with a managed
 * identity. With KEYLESS_SAVE_CREDENTIALS=true every one serves again within seconds; without it, the
 * instances with a credential say what is missing and both ways out.
 */
import { AzureNamedKeyCredential, generateTableSas, TableClient } from "@azure/data-tables";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNT, DEV_KEY, startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { stateApi } from "../helpers/http.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { recordCanaries } from "../helpers/suiteRecord.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";

const STORES = ["statestore", "tables-key", "tables-sas", "tables-mi"] as const;

describe.each([
  ["with KEYLESS_SAVE_CREDENTIALS=true", true],
  ["by default", false],
])("state instances after kill -9 of keyless, %s", (_label, save) => {
  const app = makeIdentity("restart-creds");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let azurite: Azurite;
  let stack: Stack;
  let sas: string;

  beforeAll(async () => {
    env = await startStandIns({ identities: [app] });
    azurite = await startTestAzurite();
    const named = new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY);
    await new TableClient(azurite.tableUrl, "sasrestart", named).createTable();
    sas = generateTableSas("sasrestart", named, {
      permissions: { query: true, add: true, update: true, delete: true },
      expiresOn: new Date(Date.now() + 86_400_000),
    });
    recordCanaries([sas, new URLSearchParams(sas).get("sig")!]);
    const tables = (name: string, meta: Record<string, string>) =>
      componentYaml(name, "state.keyless", { backend: "tables", tableName: name.replace("-", ""), ...meta });
    stack = await startStack({
      tag: save ? "rcs" : "rcd",
      components: ["statestore.yaml"],
      keylessEnv: { ...env.identity.env(), ...(save && { KEYLESS_SAVE_CREDENTIALS: "true" }) },
      extra: {
        "tables-key.yaml": tables("tables-key", { connectionString: azurite.connectionString }),
        "tables-sas.yaml": componentYaml("tables-sas", "state.keyless", {
          backend: "tables",
          tableName: "sasrestart",
          skipCreateTable: "true",
          connectionString: `TableEndpoint=${azurite.tableUrl};SharedAccessSignature=${sas}`,
        }),
        "tables-mi.yaml": tables("tables-mi", {
          tableEndpoint: azurite.tableUrl,
          azureClientId: app.clientId,
        }),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await azurite?.stop();
    await env?.close();
  });

  it(
    save
      ? "serves every instance again within seconds"
      : "restores those without a credential and names the way out for the others",
    async () => {
      for (const s of STORES) {
        expect((await stateApi(stack.daprd.http, s).save([{ key: "k", value: `${s}-before` }])).status).toBe(
          204,
        );
      }
      await stack.restartKeyless("SIGKILL");
      const restartedAt = Date.now();
      const restores = save ? STORES : (["statestore", "tables-mi"] as const);
      for (const s of restores) {
        await waitFor(
          `${s} to answer after the restart`,
          async () =>
            (await stateApi(stack.daprd.http, s).get("k")).json === `${s}-before` ? true : undefined,
          { timeoutMs: 20_000, intervalMs: 200 },
        );
      }
      // daprd reconnects within a second or two; the restore itself is one call.
      expect(Date.now() - restartedAt).toBeLessThan(15_000);
      if (save) return;
      for (const s of ["tables-key", "tables-sas"]) {
        const r = await stateApi(stack.daprd.http, s).get("k");
        // FailedPrecondition, which daprd answers as 503.
        expect(r.status).toBe(503);
        expect(r.text).toContain("connectionString");
        expect(r.text).toContain("KEYLESS_SAVE_CREDENTIALS=true");
        expect(r.text).toContain("restart daprd");
      }
    },
  );

  it(
    save
      ? "keeps credentials only for the instances that carry one, in 0600 files in a 0700 folder"
      : "writes no credential file",
    () => {
      const dir = path.join(stack.dataDir, "credentials");
      if (!save) {
        expect(() => readdirSync(dir)).toThrow();
        return;
      }
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const files = readdirSync(dir).sort();
      expect(files).toEqual(["state--tables-key.json", "state--tables-sas.json"]);
      for (const f of files) expect(statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    },
  );

  it("never logs the SAS or the account key", () => {
    const lines = [...stack.keyless.lines, ...stack.daprd.lines];
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of [sas, new URLSearchParams(sas).get("sig")!, DEV_KEY]) {
      expect(lines.filter((l) => l.includes(secret))).toEqual([]);
    }
  });
});
