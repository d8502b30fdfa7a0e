/**
 * The Tables backend's reading of service failures, against Azurite (point 7 of issue 9): a missing table is
 * never a concurrency conflict, and a refused transaction names the key whose condition failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureNamedKeyCredential, TableClient } from "@azure/data-tables";
import { pino } from "pino";
import type { Backend, SetOp, WriteOp } from "../../src/state/backend.js";
import { openTablesBackend } from "../../src/state/backends/tables/index.js";
import { DEV_ACCOUNT, DEV_KEY, startTestAzurite, type Azurite } from "../helpers/azurite.js";

const set = (key: string, extra: Partial<SetOp> = {}): SetOp => ({
  kind: "set",
  key,
  value: Buffer.from("v"),
  etag: undefined,
  firstWrite: false,
  contentType: "",
  expiresAt: undefined,
  ...extra,
});

describe("Tables backend failures", () => {
  let azurite: Azurite;
  let n = 0;
  const open = async (): Promise<{ backend: Backend; table: string }> => {
    const table = `fail${n++}`;
    const backend = await openTablesBackend({
      instance: "tf",
      auth: { kind: "sharedKey", endpoint: azurite.tableUrl, accountName: DEV_ACCOUNT, accountKey: DEV_KEY },
      table,
      skipCreateTable: false,
      cleanupIntervalMs: 3_600_000,
      timeoutMs: 10_000,
      now: Date.now,
      log: pino({ level: "silent" }),
    });
    return { backend, table };
  };

  beforeAll(async () => {
    azurite = await startTestAzurite();
  }, 60_000);
  afterAll(async () => azurite?.stop());

  it("reports a missing table (404 TableNotFound) as a backend failure, never as a concurrency conflict", async () => {
    const { backend, table } = await open();
    await backend.transact([set("k||1")]);
    const item = await backend.get("k||1");
    await new TableClient(
      azurite.tableUrl,
      table,
      new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY),
    ).deleteTable();
    const attempts: WriteOp[][] = [
      [set("k||2", { firstWrite: true })],
      [set("k||1", { etag: item!.etag })],
      [{ kind: "delete", key: "k||1", etag: undefined }],
      [{ kind: "delete", key: "k||1", etag: item!.etag }],
      [set("k||3", { firstWrite: true }), set("k||4", { firstWrite: true })],
    ];
    for (const ops of attempts) {
      const err = await backend.transact(ops).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toMatchObject({ code: "BACKEND_FAILED" });
      expect(err!.message).toContain("the table does not exist");
    }
    await backend.close();
  });

  it("names the key whose condition failed in a refused transaction", async () => {
    const { backend } = await open();
    await backend.transact([set("p||taken")]);
    const taken = await backend.get("p||taken");
    const firstWrite = await backend
      .transact([set("p||fresh", { firstWrite: true }), set("p||taken", { firstWrite: true })])
      .catch((e: Error) => e);
    expect(firstWrite).toMatchObject({ code: "ETAG_MISMATCH", key: "p||taken" });
    expect((firstWrite as Error).message).toContain('key "p||taken" already exists');
    await backend.transact([set("p||taken")]); // a new version: the etag read above is now stale
    const stale = await backend
      .transact([set("p||fresh2", { firstWrite: true }), set("p||taken", { etag: taken!.etag })])
      .catch((e: Error) => e);
    expect(stale).toMatchObject({ code: "ETAG_MISMATCH", key: "p||taken" });
    // Nothing of a refused transaction was written.
    expect(await backend.get("p||fresh")).toBeUndefined();
    expect(await backend.get("p||fresh2")).toBeUndefined();
    await backend.close();
  });
});
