/**
 * One contract, every backend: the StateStore behaviours apps rely on, run against SQLite and against
 * Azure Tables (Azurite over HTTPS, once with a managed-identity token from the stand-in and once with a
 * connection string).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { pino } from "pino";
import { CredentialPool } from "../../src/identity/credentialPool.js";
import type { Backend } from "../../src/state/backend.js";
import { openSqliteBackend } from "../../src/state/backends/sqlite.js";
import { openTablesBackend, type TablesAuth } from "../../src/state/backends/tables/index.js";
import { StateStore, type SetInput } from "../../src/state/store.js";
import { startIdentityStandIn, makeIdentity, type IdentityStandIn } from "../../dev/identityStandIn.js";
import { startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { scrubAzureEnv } from "../helpers/standins.js";
import { makeTmpDir } from "../helpers/tmp.js";

const log = pino({ level: "silent" });
const app = makeIdentity("state-app");
let azurite: Azurite;
let mi: IdentityStandIn;
const tmp = makeTmpDir("contract");
let tableCounter = 0;

beforeAll(async () => {
  scrubAzureEnv();
  mi = await startIdentityStandIn({ identities: [app] });
  Object.assign(process.env, mi.env());
  azurite = await startTestAzurite();
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
  await mi?.close();
  tmp.cleanup();
});

const openTables = (auth: TablesAuth, table = `contract${tableCounter++}`, timeoutMs = 10_000) =>
  openTablesBackend({
    instance: "c",
    auth,
    table,
    skipCreateTable: false,
    cleanupIntervalMs: 60_000,
    timeoutMs,
    now: clock,
    log,
  });

/** The clock every backend and store here reads: real time, moved ahead by tests of expiry. */
let skewMs = 0;
const clock = () => Date.now() + skewMs;

const backends: [string, () => Promise<Backend>][] = [
  [
    "sqlite",
    async () =>
      openSqliteBackend({
        instance: "c",
        file: path.join(tmp.dir, `s${tableCounter++}.db`),
        table: "state",
        synchronous: "normal",
        busyTimeoutMs: 1000,
        cleanupIntervalMs: 60_000,
        now: clock,
        log,
      }),
  ],
  [
    "tables with managed identity",
    () =>
      openTables({
        kind: "token",
        endpoint: azurite.tableUrl,
        credential: new CredentialPool().get({ kind: "managed", by: "clientId", id: app.clientId }),
        describe: "test identity",
      }),
  ],
  [
    "tables with a connection string",
    () => openTables({ kind: "connectionString", connectionString: azurite.connectionString }),
  ],
];

describe.each(backends)("state backend contract: %s", (name, open) => {
  let store: StateStore;
  const input = (key: string, value: Buffer | string, extra: Partial<SetInput> = {}): SetInput => ({
    key,
    value: typeof value === "string" ? Buffer.from(value) : value,
    etag: null,
    metadata: {},
    concurrency: "unspecified",
    contentType: "",
    ...extra,
  });

  beforeAll(async () => {
    store = new StateStore("c", await open(), clock);
  });
  afterAll(async () => store?.close());

  it("round-trips bytes with their content type", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await store.set(input("app||bin", bytes, { contentType: "application/octet-stream" }));
    const r = await store.get("app||bin");
    expect(r.value).toEqual(bytes);
    expect(r.contentType).toBe("application/octet-stream");
  });

  it("round-trips a 700 KiB value and refuses an oversized one (2 MiB on tables) before writing", async () => {
    const big = Buffer.alloc(700 * 1024, 7);
    big[big.length - 1] = 9;
    await store.set(input("app||big", big));
    expect((await store.get("app||big")).value?.equals(big)).toBe(true);
    const tooBig = name === "sqlite" ? 4 * 1024 * 1024 + 1 : 2 * 1024 * 1024;
    await expect(store.set(input("app||huge", Buffer.alloc(tooBig)))).rejects.toMatchObject({
      code: "VALUE_TOO_LARGE",
    });
    expect((await store.get("app||huge")).value).toBeUndefined();
  });

  it("keeps keys that differ only in || structure or odd characters apart", async () => {
    const keys = [
      "a||b||c||d",
      "a||b",
      "a||b||c",
      "a",
      "||a",
      "a||",
      "x/y",
      "x\\y",
      "x#y",
      "x?y",
      "x%2Fy",
      "~",
      "%7E",
      "é||ü",
    ];
    for (const k of keys) await store.set(input(k, `value of ${k}`));
    for (const k of keys) expect((await store.get(k)).value?.toString()).toBe(`value of ${k}`);
  });

  it("checks etags on set and delete, and enforces first-write", async () => {
    await store.set(input("app||e", "1"));
    const { etag } = await store.get("app||e");
    await store.set(input("app||e", "2", { etag: etag! }));
    await expect(store.set(input("app||e", "3", { etag: etag! }))).rejects.toMatchObject({
      code: "ETAG_MISMATCH",
    });
    await expect(store.set(input("app||e", "3", { etag: "not valid!" }))).rejects.toMatchObject({
      code: "ETAG_INVALID",
    });
    await expect(store.set(input("app||e", "3", { concurrency: "first-write" }))).rejects.toMatchObject({
      code: "ETAG_MISMATCH",
    });
    const now = await store.get("app||e");
    await expect(
      store.delete({ key: "app||e", etag: etag!, metadata: {}, concurrency: "unspecified" }),
    ).rejects.toMatchObject({
      code: "ETAG_MISMATCH",
    });
    await store.delete({ key: "app||e", etag: now.etag!, metadata: {}, concurrency: "unspecified" });
    expect((await store.get("app||e")).value).toBeUndefined();
    await store.delete({ key: "app||never", etag: null, metadata: {}, concurrency: "unspecified" });
  });

  it("hides expired items and reports ttlExpireTime", async () => {
    await store.set(input("app||ttl", "v", { metadata: { ttlInSeconds: "1" } }));
    expect((await store.get("app||ttl")).metadata.ttlExpireTime).toMatch(/Z$/);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await store.get("app||ttl")).value).toBeUndefined();
    await store.set(input("app||ttl", "again", { concurrency: "first-write" }));
    expect((await store.get("app||ttl")).value?.toString()).toBe("again");
  });

  it("treats an expired key like a deleted one: its old ETag is refused for set, delete and transactions", async () => {
    const del = (key: string, etag: string | null) =>
      store.delete({ key, etag, metadata: {}, concurrency: "unspecified" });
    // A production-like TTL (one hour); the clock is moved past it rather than waited for.
    for (const k of ["app||x1", "app||x2", "app||x3", "app||x4"]) {
      await store.set(input(k, "v", { metadata: { ttlInSeconds: "3600" } }));
    }
    const etags = await Promise.all(
      ["app||x1", "app||x2", "app||x3"].map(async (k) => (await store.get(k)).etag!),
    );
    skewMs += 3_601_000;
    try {
      expect((await store.get("app||x1")).value).toBeUndefined();
      await expect(store.set(input("app||x1", "back", { etag: etags[0]! }))).rejects.toMatchObject({
        code: "ETAG_MISMATCH",
      });
      await expect(del("app||x2", etags[1]!)).rejects.toMatchObject({ code: "ETAG_MISMATCH" });
      await expect(
        store.transact([
          { kind: "set", ...input("app||x3", "back", { etag: etags[2]! }) },
          { kind: "set", ...input("app||x5", "with it") },
        ]),
      ).rejects.toMatchObject({ code: "ETAG_MISMATCH" });
      const bulk = await store.bulkGet(["app||x1", "app||x2", "app||x3", "app||x4"]);
      expect(bulk.every((b) => b.value === undefined)).toBe(true);
      // Nothing came back to life, and first-write sees the keys as free.
      for (const k of ["app||x1", "app||x2", "app||x3", "app||x5"]) {
        expect((await store.get(k)).value).toBeUndefined();
      }
      await store.set(input("app||x4", "new", { concurrency: "first-write" }));
      expect((await store.get("app||x4")).value?.toString()).toBe("new");
    } finally {
      skewMs = 0;
    }
  });

  it("sweeps expired rows and a transaction's deletes, more than one sweep batch at once", async () => {
    // A fresh store of its own, so the count is exact: 1 100 keys with a one-hour TTL and 1 100 keys set
    // and then deleted, both in transactions of 100 (a workflow purge looks like the second).
    const backend = await open();
    const own = new StateStore("sweep", backend, clock);
    const del = (key: string) => ({
      kind: "delete" as const,
      key,
      etag: null,
      metadata: {},
      concurrency: "unspecified" as const,
    });
    try {
      for (let p = 0; p < 11; p++) {
        const keys = Array.from({ length: 100 }, (_, i) => `p${p}||k${i}`);
        await own.transact(
          keys.map((k) => ({ kind: "set", ...input(k, "v", { metadata: { ttlInSeconds: "3600" } }) })),
        );
        const gone = keys.map((k) => `${k}-gone`);
        await own.transact(gone.map((k) => ({ kind: "set", ...input(k, "v") })));
        await own.transact(gone.map(del));
      }
      await own.set(input("p0||kept", "v"));
      skewMs += 3_601_000;
      const tombstones = name === "sqlite" ? 0 : 1_100; // SQLite deletes rows; Tables writes tombstones
      expect(await backend.sweep()).toBe(1_100 + tombstones);
      expect(await backend.sweep()).toBe(0);
      expect((await own.get("p0||kept")).value?.toString()).toBe("v");
      expect((await own.get("p3||k7")).value).toBeUndefined();
    } finally {
      skewMs = 0;
      await own.close();
    }
  });

  it("runs a same-partition transaction atomically and in order", async () => {
    await store.set(input("app||t1", "old"));
    await store.transact([
      { kind: "delete", key: "app||t1", etag: null, metadata: {}, concurrency: "unspecified" },
      { kind: "set", ...input("app||t2", "two") },
      { kind: "delete", key: "app||t2", etag: null, metadata: {}, concurrency: "unspecified" },
      { kind: "set", ...input("app||t3", "three") },
    ]);
    const r = await store.bulkGet(["app||t1", "app||t2", "app||t3"]);
    expect(r.map((x) => x.value?.toString())).toEqual([undefined, undefined, "three"]);
    const stale = (await store.get("app||t3")).etag!;
    await store.set(input("app||t3", "changed"));
    await expect(
      store.transact([
        { kind: "set", ...input("app||t4", "never") },
        { kind: "set", ...input("app||t3", "x", { etag: stale }) },
      ]),
    ).rejects.toMatchObject({ code: "ETAG_MISMATCH" });
    expect((await store.get("app||t4")).value).toBeUndefined();
  });

  it("lets first-write in a transaction reuse a key whose earlier value was deleted in a transaction", async () => {
    await store.transact([
      { kind: "set", ...input("app||fw1", "a") },
      { kind: "set", ...input("app||fw2", "b") },
    ]);
    await store.transact([
      { kind: "delete", key: "app||fw1", etag: null, metadata: {}, concurrency: "unspecified" },
      { kind: "delete", key: "app||fw2", etag: null, metadata: {}, concurrency: "unspecified" },
    ]);
    await store.transact([
      { kind: "set", ...input("app||fw1", "again", { concurrency: "first-write" }) },
      { kind: "set", ...input("app||other", "x") },
    ]);
    expect((await store.get("app||fw1")).value?.toString()).toBe("again");
    await expect(
      store.transact([
        { kind: "set", ...input("app||fw1", "third", { concurrency: "first-write" }) },
        { kind: "set", ...input("app||other2", "x") },
      ]),
    ).rejects.toMatchObject({ code: "ETAG_MISMATCH" });
  });

  it("applies bulk writes item by item", async () => {
    await store.bulkSet([input("app||b1", "1"), input("app||b2", "1")]);
    const b2 = (await store.get("app||b2")).etag!;
    const wrong = (await store.get("app||b1")).etag!;
    await store.set(input("app||b1", "moved on"));
    await expect(
      store.bulkSet([input("app||b1", "2", { etag: wrong }), input("app||b2", "2", { etag: b2 })]),
    ).rejects.toMatchObject({ code: "ETAG_MISMATCH" });
    expect((await store.get("app||b2")).value?.toString()).toBe("2");
  });
});

describe("tables backend specifics", () => {
  it("refuses a transaction that spans partitions, naming the rule", async () => {
    const store = new StateStore("c", await backends[2]![1]());
    await expect(
      store.transact([
        {
          kind: "set",
          key: "app1||k",
          value: Buffer.from("1"),
          etag: null,
          metadata: {},
          concurrency: "unspecified",
          contentType: "",
        },
        {
          kind: "set",
          key: "app2||k",
          value: Buffer.from("1"),
          etag: null,
          metadata: {},
          concurrency: "unspecified",
          contentType: "",
        },
      ]),
    ).rejects.toMatchObject({
      code: "REQUEST_INVALID",
      message: expect.stringContaining("spans 2 partitions"),
    });
    await store.close();
  });

  it("fails Init naming the identity and the role when the token is refused", async () => {
    const err = await openTables(
      {
        kind: "token",
        endpoint: azurite.tableUrl,
        credential: {
          getToken: async () => ({ token: "not-a-jwt", expiresOnTimestamp: Date.now() + 3_600_000 }),
        },
        describe: "the user-assigned managed identity with client id X",
      },
      "refused",
      5000,
    ).catch((e: Error) => e);
    expect(err).toMatchObject({ code: "BACKEND_FAILED" });
    expect((err as Error).message).toMatch(
      /client id X is not allowed \(HTTP 403.*Storage Table Data Contributor/,
    );
  });
});
