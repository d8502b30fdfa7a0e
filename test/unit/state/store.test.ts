import { afterEach, beforeEach, describe, expect, it } from "vitest";
import path from "node:path";
import { pino } from "pino";
import { openSqliteBackend } from "../../../src/state/backends/sqlite.js";
import { StateStore, type SetInput } from "../../../src/state/store.js";
import { setInput } from "../../helpers/setInput.js";
import type { Backend } from "../../../src/state/backend.js";
import { makeTmpDir } from "../../helpers/tmp.js";

const silent = pino({ level: "silent" });

describe("StateStore on SQLite", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let clock: number;
  let backend: Backend;
  let store: StateStore;

  const set = (key: string, value: string, extra: Partial<SetInput> = {}) =>
    store.set(setInput(key, value, extra));

  beforeEach(() => {
    tmp = makeTmpDir("store");
    clock = 1_700_000_000_000;
    backend = openSqliteBackend({
      instance: "s1",
      file: path.join(tmp.dir, "s.db"),
      table: "state",
      synchronous: "normal",
      busyTimeoutMs: 1000,
      cleanupIntervalMs: 60_000,
      now: () => clock,
      log: silent,
    });
    store = new StateStore("s1", backend, () => clock);
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  it("returns the bytes it was given, unchanged, with a 32-hex etag", async () => {
    const bytes = Buffer.from([0, 255, 1, 2, 0x80, 0xfe]);
    await store.set({
      key: "k",
      value: bytes,
      etag: null,
      metadata: {},
      concurrency: "unspecified",
      contentType: "application/octet-stream",
    });
    const r = await store.get("k");
    expect(r.value).toEqual(bytes);
    expect(r.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(r.contentType).toBe("application/octet-stream");
  });

  it("returns an empty result for a missing key", async () => {
    const r = await store.get("nope");
    expect(r.value).toBeUndefined();
    expect(r.etag).toBeUndefined();
  });

  it("accepts the current etag and rejects a stale one as ETAG_MISMATCH", async () => {
    await set("k", "1");
    const { etag } = await store.get("k");
    await set("k", "2", { etag: etag! });
    const after = await store.get("k");
    expect(after.etag).not.toBe(etag);
    await expect(set("k", "3", { etag: etag! })).rejects.toMatchObject({ code: "ETAG_MISMATCH", key: "k" });
    expect((await store.get("k")).value!.toString()).toBe("2");
  });

  it("rejects a malformed etag as ETAG_INVALID before touching the data", async () => {
    await set("k", "1");
    await expect(set("k", "2", { etag: "not-an-etag" })).rejects.toMatchObject({ code: "ETAG_INVALID" });
    expect((await store.get("k")).value!.toString()).toBe("1");
  });

  it("treats an empty etag like no etag", async () => {
    await set("k", "1");
    await set("k", "2", { etag: "" });
    expect((await store.get("k")).value!.toString()).toBe("2");
  });

  it("fails an etag write to a missing key", async () => {
    await expect(set("ghost", "x", { etag: "0".repeat(32) })).rejects.toMatchObject({
      code: "ETAG_MISMATCH",
    });
  });

  it("first-write without an etag inserts once and then refuses", async () => {
    await set("fw", "1", { concurrency: "first-write" });
    await expect(set("fw", "2", { concurrency: "first-write" })).rejects.toMatchObject({
      code: "ETAG_MISMATCH",
    });
    await expect(set("fw", "2", { concurrency: "first-write", etag: "" })).rejects.toMatchObject({
      code: "ETAG_MISMATCH",
    });
    const { etag } = await store.get("fw");
    await set("fw", "3", { concurrency: "first-write", etag: etag! });
    expect((await store.get("fw")).value!.toString()).toBe("3");
  });

  it("hides an expired item at once and reports ttlExpireTime while it lives", async () => {
    await set("t", "v", { metadata: { ttlInSeconds: "2" } });
    const live = await store.get("t");
    expect(live.metadata.ttlExpireTime).toBe(new Date(clock + 2000).toISOString().replace(".000Z", "Z"));
    clock += 2000;
    expect((await store.get("t")).value).toBeUndefined();
  });

  it("lets first-write recreate a key whose previous version expired", async () => {
    await set("t", "v", { metadata: { ttlInSeconds: "1" } });
    clock += 1500;
    await set("t", "w", { concurrency: "first-write" });
    expect((await store.get("t")).value!.toString()).toBe("w");
  });

  it("removes the TTL when a later write has ttlInSeconds -1 or none", async () => {
    await set("t", "v", { metadata: { ttlInSeconds: "2" } });
    await set("t", "v", { metadata: { ttlInSeconds: "-1" } });
    clock += 5000;
    const r = await store.get("t");
    expect(r.value!.toString()).toBe("v");
    expect(r.metadata.ttlExpireTime).toBeUndefined();
  });

  it.each(["foo", "1.5", "-2", "2147483648", "1e3"])(
    "rejects ttlInSeconds %s as TTL_INVALID",
    async (ttl) => {
      await expect(set("t", "v", { metadata: { ttlInSeconds: ttl } })).rejects.toMatchObject({
        code: "TTL_INVALID",
      });
    },
  );

  it("rejects an empty key and a key over 4 KiB", async () => {
    await expect(store.get("")).rejects.toMatchObject({ code: "KEY_INVALID" });
    await expect(set("x".repeat(1024 * 1024), "v")).rejects.toMatchObject({ code: "KEY_INVALID" });
    await expect(set("é".repeat(2049), "v")).rejects.toMatchObject({ code: "KEY_INVALID" });
    await set("x".repeat(4096), "v");
  });

  it("applies bulk writes item by item and reports the first failure", async () => {
    await set("a", "1");
    await set("b", "1");
    const b = await store.get("b");
    await expect(
      store.bulkSet([
        {
          key: "a",
          value: Buffer.from("2"),
          etag: "f".repeat(32),
          metadata: {},
          concurrency: "unspecified",
          contentType: "",
        },
        {
          key: "b",
          value: Buffer.from("2"),
          etag: b.etag!,
          metadata: {},
          concurrency: "unspecified",
          contentType: "",
        },
      ]),
    ).rejects.toMatchObject({ code: "ETAG_MISMATCH", key: "a" });
    expect((await store.get("a")).value!.toString()).toBe("1");
    expect((await store.get("b")).value!.toString()).toBe("2");
  });

  it("validates every bulk item before writing any", async () => {
    await expect(
      store.bulkSet([
        {
          key: "ok",
          value: Buffer.from("1"),
          etag: null,
          metadata: {},
          concurrency: "unspecified",
          contentType: "",
        },
        {
          key: "",
          value: Buffer.from("1"),
          etag: null,
          metadata: {},
          concurrency: "unspecified",
          contentType: "",
        },
      ]),
    ).rejects.toMatchObject({ code: "KEY_INVALID" });
    expect((await store.get("ok")).value).toBeUndefined();
  });

  it("applies a transaction atomically and in order", async () => {
    await set("k1", "1");
    await store.transact([
      { kind: "delete", key: "k1", etag: null, metadata: {}, concurrency: "unspecified" },
      {
        kind: "set",
        key: "k2",
        value: Buffer.from("2"),
        etag: null,
        metadata: {},
        concurrency: "unspecified",
        contentType: "",
      },
      { kind: "delete", key: "k2", etag: null, metadata: {}, concurrency: "unspecified" },
      {
        kind: "set",
        key: "k3",
        value: Buffer.from("3"),
        etag: null,
        metadata: {},
        concurrency: "unspecified",
        contentType: "",
      },
    ]);
    expect((await store.bulkGet(["k1", "k2", "k3"])).map((r) => r.value?.toString())).toEqual([
      undefined,
      undefined,
      "3",
    ]);
    await expect(
      store.transact([
        {
          kind: "set",
          key: "k4",
          value: Buffer.from("4"),
          etag: null,
          metadata: {},
          concurrency: "unspecified",
          contentType: "",
        },
        { kind: "delete", key: "k3", etag: "a".repeat(32), metadata: {}, concurrency: "unspecified" },
      ]),
    ).rejects.toMatchObject({ code: "ETAG_MISMATCH" });
    expect((await store.get("k4")).value).toBeUndefined();
    expect((await store.get("k3")).value!.toString()).toBe("3");
  });

  it("refuses transactions over the backend limit", async () => {
    const ops = Array.from({ length: backend.maxTransactionOps + 1 }, (_, i) => ({
      kind: "delete" as const,
      key: `k${i}`,
      etag: null,
      metadata: {},
      concurrency: "unspecified" as const,
    }));
    await expect(store.transact(ops)).rejects.toMatchObject({ code: "TRANSACTION_TOO_LARGE" });
  });

  it("keeps deletes of missing keys quiet and checks etags on delete", async () => {
    await store.delete({ key: "never", etag: null, metadata: {}, concurrency: "unspecified" });
    await set("d", "1");
    await expect(
      store.delete({ key: "d", etag: "b".repeat(32), metadata: {}, concurrency: "unspecified" }),
    ).rejects.toMatchObject({
      code: "ETAG_MISMATCH",
    });
    const { etag } = await store.get("d");
    await store.delete({ key: "d", etag: etag!, metadata: {}, concurrency: "unspecified" });
    expect((await store.get("d")).value).toBeUndefined();
  });
});
