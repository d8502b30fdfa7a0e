/**
 * Credentials never shown (point 4), configuration mistakes reported as such (point 5), and the Tables
 * transport rule (point 6), through a real daprd and `keyless doctor`. Canary SAS signatures, account keys
 * and connection strings are planted in component metadata; Init failures and call failures are provoked;
 * error answers, keyless's log, daprd's log and doctor's output are scanned here, and again, with every
 * other file's output, by the whole-suite scan (test/suite/scan.test.ts).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureNamedKeyCredential, generateTableSas, TableClient } from "@azure/data-tables";
import { DEV_ACCOUNT, DEV_KEY, startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { componentYaml as yaml } from "../helpers/componentYaml.js";
import { stateApi } from "../helpers/http.js";
import { runDoctor } from "../helpers/doctor.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { recordCanaries } from "../helpers/suiteRecord.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";

const canary = (tag: string) => `${tag}${randomBytes(12).toString("hex")}`;

describe("credentials in messages, logs and doctor output", () => {
  const app = makeIdentity("hygiene-app");
  const badSig = canary("SIGCANARY");
  const badKey = Buffer.from(canary("KEYCANARY")).toString("base64");
  const csKey = canary("CSKEYCANARY");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let azurite: Azurite;
  let stack: Stack;
  let readOnlySas: string;
  let realSig: string;
  const answers: string[] = [];

  beforeAll(async () => {
    env = await startStandIns({ identities: [app] });
    azurite = await startTestAzurite();
    const named = new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY);
    await new TableClient(azurite.tableUrl, "sastable", named).createTable();
    readOnlySas = generateTableSas("sastable", named, {
      permissions: { query: true },
      expiresOn: new Date(Date.now() + 86_400_000),
    });
    realSig = new URLSearchParams(readOnlySas).get("sig")!;
    recordCanaries([badSig, badKey, csKey, realSig, encodeURIComponent(realSig), readOnlySas]);
    const endpoint = azurite.tableUrl;
    const opts = { ignoreErrors: true };
    stack = await startStack({
      tag: "hyg",
      components: [],
      keylessEnv: env.identity.env(),
      extra: {
        // Inits (the SAS may read), then fails on writes: a call failure with a real SAS.
        "sasro.yaml": yaml(
          "sasro",
          "state.keyless",
          {
            backend: "tables",
            tableName: "sastable",
            skipCreateTable: "true",
            connectionString: `TableEndpoint=${endpoint};SharedAccessSignature=${readOnlySas}`,
          },
          opts,
        ),
        // Init fails: a SAS the account does not accept.
        "sasbad.yaml": yaml(
          "sasbad",
          "state.keyless",
          {
            backend: "tables",
            connectionString: `TableEndpoint=${endpoint};SharedAccessSignature=sv=2019-02-02&ss=t&srt=sco&sp=rwdlacu&se=2099-01-01T00:00:00Z&sig=${badSig}`,
          },
          opts,
        ),
        // Init fails: a wrong account key.
        "keybad.yaml": yaml(
          "keybad",
          "state.keyless",
          { backend: "tables", tableEndpoint: endpoint, accountName: DEV_ACCOUNT, accountKey: badKey },
          opts,
        ),
        // Init fails: configuration mistakes in connection strings.
        "csmalformed.yaml": yaml(
          "csmalformed",
          "state.keyless",
          { backend: "tables", connectionString: `AccountKey=${csKey};this is not a pair` },
          opts,
        ),
        "csnoendpoint.yaml": yaml(
          "csnoendpoint",
          "state.keyless",
          {
            backend: "tables",
            connectionString: `AccountName=${DEV_ACCOUNT};AccountKey=${csKey};TableEndpoint=`,
          },
          opts,
        ),
        // Init refused: a bearer token over plain http.
        "httptoken.yaml": yaml(
          "httptoken",
          "state.keyless",
          {
            backend: "tables",
            tableEndpoint: "http://127.0.0.1:10002/devstoreaccount1",
            azureClientId: app.clientId,
          },
          opts,
        ),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await azurite?.stop();
    await env?.close();
  });

  const initError = (name: string) =>
    waitFor(
      `daprd to report ${name}'s Init failure`,
      async () =>
        stack.daprd.lines.find((l) => l.includes(name) && /error|fail/i.test(l) && l.includes("keyless")),
      { timeoutMs: 10_000, intervalMs: 100 },
    );

  it("names a refused SAS as a SAS, on a call and at Init, without its signature", async () => {
    const s = stateApi(stack.daprd.http, "sasro");
    const r = await s.save([{ key: "k", value: 1 }]);
    answers.push(r.text);
    expect(r.status).toBe(503);
    expect(r.text).toContain("refused the SAS (HTTP 403");
    expect(r.text).not.toContain("shared key");
    const line = await initError("sasbad");
    expect(line).toContain("refused the SAS");
  });

  it("names a refused account key as the shared key, at Init", async () => {
    expect(await initError("keybad")).toContain("refused the shared key");
  });

  it("reports malformed and endpoint-less connection strings as invalid metadata naming the field", async () => {
    expect(await initError("csmalformed")).toMatch(
      /InvalidArgument.*connectionString: it is not a list of Name=value pairs/,
    );
    expect(await initError("csnoendpoint")).toMatch(
      /InvalidArgument.*connectionString: it names no table endpoint/,
    );
  });

  it("refuses a bearer token over http at Init, saying why", async () => {
    expect(await initError("httptoken")).toMatch(
      /InvalidArgument.*tableEndpoint: http:\/\/ would send the identity's bearer token without TLS/,
    );
  });

  it("keeps every canary out of error answers, keyless's log, daprd's log and doctor's output", async () => {
    const run = await runDoctor(["--components", path.join(stack.tmp, "resources")], {
      env: env.identity.env(),
    });
    const doctor = run.stdout + run.stderr;
    expect(doctor).toContain("refused the SAS");
    expect(doctor).toContain("would send the identity's bearer token without TLS");
    const everything = [...answers, ...stack.keyless.lines, ...stack.daprd.lines, doctor].join("\n");
    expect(everything.length).toBeGreaterThan(1000);
    for (const c of [badSig, badKey, csKey, realSig, encodeURIComponent(realSig)]) {
      expect(everything).not.toContain(c);
    }
    expect(everything).not.toMatch(/sig=(?!\[redacted\])[A-Za-z0-9%]/);
  });
});
