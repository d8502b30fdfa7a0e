import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { tablesCheck } from "../../../src/doctor/checks/tables.js";
import { describeAzureFailure } from "../../../src/errors/azureFailure.js";
import { stateErrors, type TablesSigner } from "../../../src/errors/state.js";
import { describeIdentity } from "../../../src/identity/identitySpec.js";
import { STORAGE_SCOPE } from "../../../src/identity/tokenScopes.js";
import type { TablesBackendOptions } from "../../../src/state/backends/tables/index.js";
import { classifyTablesFailure } from "../../../src/state/backends/tables/tablesFailure.js";
import { component, fakeDoctor, stateMd } from "./fakeDoctor.js";

const ENDPOINT = "https://acct.table.core.windows.net";
const CLIENT = "22222222-2222-4222-8222-222222222222";
const WHO = describeIdentity({ kind: "managed", by: "clientId", id: CLIENT });
const withIdentity = (extra: Record<string, string> = {}) =>
  stateMd({
    backend: "tables",
    tableEndpoint: ENDPOINT,
    tableName: "orders",
    azureClientId: CLIENT,
    ...extra,
  });
const withKey = stateMd({
  backend: "tables",
  tableEndpoint: ENDPOINT,
  accountName: "acct",
  accountKey: "a2V5",
  tableName: "orders",
});

/** What the Tables backend throws for an SDK failure while opening the table. */
const opening = (e: unknown, who: TablesSigner, where = `table orders at ${ENDPOINT}`) =>
  stateErrors.tablesFailed({
    instance: "st",
    op: "opening",
    where,
    who,
    failure: classifyTablesFailure(describeAzureFailure(e), { signer: who.kind, skipCreateTable: true }),
    cause: e,
  });
const status = (statusCode: number, code?: string) =>
  new RestError(`HTTP ${statusCode}`, { statusCode, ...(code && { code }) });

const run = (md: ReturnType<typeof stateMd>, openTables: (o: TablesBackendOptions) => Promise<never>) =>
  tablesCheck({ component: component("st"), md, doctor: fakeDoctor({ openTables }) });

describe("the tables check", () => {
  it("gets a Storage token for the identity, then opens the table without creating it and closes it", async () => {
    const opened: TablesBackendOptions[] = [];
    let closed = 0;
    const scopes: string[] = [];
    const doctor = fakeDoctor({
      token: async (_spec, scope) => {
        scopes.push(scope);
        return { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
      openTables: async (o) => {
        opened.push(o);
        return { close: async () => void closed++ };
      },
    });
    const out = await tablesCheck({ component: component("st"), md: withIdentity(), doctor });
    expect(out.identity).toEqual({ kind: "managed", by: "clientId", id: CLIENT });
    expect(out.checks.map((k) => [k.name, k.status, k.detail])).toEqual([
      ["token for https://storage.azure.com", "ok", `issued for ${WHO}`],
      ["table orders", "ok", "reachable and readable"],
    ]);
    expect(scopes).toEqual([STORAGE_SCOPE]);
    expect(opened.map((o) => [o.table, o.skipCreateTable, o.auth.kind])).toEqual([["orders", true, "token"]]);
    expect(closed).toBe(1);
  });

  it("asks for no token with a shared key, and names no identity", async () => {
    const doctor = fakeDoctor({ openTables: async () => ({ close: async () => undefined }) });
    const out = await tablesCheck({ component: component("st"), md: withKey, doctor });
    expect(out.identity).toBeUndefined();
    expect(out.checks.map((k) => k.name)).toEqual(["table orders"]);
  });

  it("takes the role or key fix of a refusal from the catalog", async () => {
    const denied = await run(withIdentity(), async () => {
      throw opening(status(403, "AuthorizationPermissionMismatch"), { kind: "token", describe: WHO });
    });
    expect(denied.checks[1]).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("Storage Table Data Contributor"),
    });
    const badKey = await run(withKey, async () => {
      throw opening(status(403, "AuthenticationFailed"), { kind: "sharedKey", describe: "the account key" });
    });
    expect(badKey.checks[0]!.fix).toMatch(/^check the account key \(or connection string\)/);
    const sas = await run(withKey, async () => {
      throw opening(status(400, "AuthenticationFailed"), { kind: "sas", describe: "the SAS" });
    });
    expect(sas.checks[0]!.detail).toContain("refused the SAS");
    expect(sas.checks[0]!.fix).toMatch(/^check the SAS: its expiry/);
  });

  it("says what serve would do with a missing table: create it, unless skipCreateTable is set", async () => {
    const missing = async () => {
      throw opening(status(404, "TableNotFound"), { kind: "token", describe: WHO });
    };
    const create = (await run(withIdentity(), missing)).checks[1]!;
    expect(create).toMatchObject({
      status: "warn",
      detail: expect.stringContaining("keyless creates it at Init"),
    });
    const skip = (await run(withIdentity({ skipCreateTable: "true" }), missing)).checks[1]!;
    expect(skip).toMatchObject({ status: "fail", detail: expect.stringContaining("skipCreateTable is set") });
    expect(skip.fix).toContain("az storage table create --name orders");
  });

  it("points at the endpoint when the service cannot be reached, and at the metadata when it is wrong", async () => {
    const down = await run(withKey, async () => {
      throw opening(
        Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
        { kind: "sharedKey", describe: "the account key" },
        "table orders",
      );
    });
    expect(down.checks[0]).toMatchObject({
      detail: expect.stringContaining("unreachable (ECONNREFUSED)"),
      fix: "check tableEndpoint / accountName and the account's network rules",
    });
    const invalid = await run(withKey, async () => {
      throw stateErrors.connectionStringInvalid("st", "it has neither AccountKey nor SharedAccessSignature");
    });
    expect(invalid.checks[0]!.fix).toBe("correct the component metadata as the message says");
  });
});
