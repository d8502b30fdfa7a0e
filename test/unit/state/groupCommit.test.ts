import { afterEach, beforeEach, describe, expect, it } from "vitest";
import path from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { openSqliteBackend } from "../../../src/state/backends/sqlite.js";
import { GroupCommit } from "../../../src/state/backends/sqliteGroupCommit.js";
import type { Backend, WriteOp } from "../../../src/state/backend.js";
import { StateStore } from "../../../src/state/store.js";
import { setInput } from "../../helpers/setInput.js";
import { makeTmpDir } from "../../helpers/tmp.js";

const setOp = (key: string): WriteOp => ({
  kind: "set",
  key,
  value: Buffer.from(key),
  etag: undefined,
  firstWrite: false,
  contentType: "",
  expiresAt: undefined,
});

describe("GroupCommit", () => {
  it("applies the writes submitted in one event-loop turn in one transaction, in arrival order", async () => {
    const batches: string[][] = [];
    const alone: string[] = [];
    const group = new GroupCommit({
      applyTogether: (ops) => (batches.push(ops.map((o) => o.key)), ops.map(() => undefined)),
      applyAlone: (op) => (alone.push(op.key), undefined),
      wrapFailure: (e) => new Error(String(e)),
    });
    await Promise.all(["a", "b", "c", "d"].map((k) => group.submit(setOp(k))));
    await group.submit(setOp("e"));
    expect(batches).toEqual([["a", "b", "c", "d"]]);
    expect(alone).toEqual(["e"]);
  });

  it("fails only the item whose own check failed", async () => {
    const group = new GroupCommit({
      applyTogether: (ops) => ops.map((o) => (o.key === "bad" ? new Error("etag mismatch") : undefined)),
      applyAlone: () => undefined,
      wrapFailure: (e) => new Error(String(e)),
    });
    const r = await Promise.allSettled(["a", "bad", "c"].map((k) => group.submit(setOp(k))));
    expect(r.map((x) => x.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("retries every item alone when the shared transaction throws, so one failure loses no other write", async () => {
    const applied: string[] = [];
    const group = new GroupCommit({
      applyTogether: () => {
        throw new Error("SQLITE_FULL");
      },
      applyAlone: (op) => {
        if (op.key === "bad") throw new Error("SQLITE_FULL");
        applied.push(op.key);
        return undefined;
      },
      wrapFailure: (e) => new Error(`wrapped: ${(e as Error).message}`),
    });
    const r = await Promise.allSettled(["a", "bad", "c"].map((k) => group.submit(setOp(k))));
    expect(r.map((x) => x.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((r[1] as PromiseRejectedResult).reason.message).toBe("wrapped: SQLITE_FULL");
    expect(applied).toEqual(["a", "c"]);
  });
});

describe("SQLite group commit through the store", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let file: string;
  let backend: Backend;
  let store: StateStore;
  const input = setInput;

  beforeEach(() => {
    tmp = makeTmpDir("group");
    file = path.join(tmp.dir, "s.db");
    backend = openSqliteBackend({
      instance: "s1",
      file,
      table: "state",
      synchronous: "full",
      busyTimeoutMs: 1000,
      cleanupIntervalMs: 60_000,
      now: Date.now,
      log: pino({ level: "silent" }),
    });
    store = new StateStore("s1", backend);
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  it("has every acknowledged concurrent write committed when its call returns", async () => {
    const keys = Array.from({ length: 32 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => store.set(input(k, `v-${k}`))));
    // A second connection sees only committed data.
    const other = new Database(file, { readonly: true });
    try {
      const n = other.prepare(`SELECT count(*) AS n FROM "state"`).get() as { n: number };
      expect(n.n).toBe(32);
    } finally {
      other.close();
    }
  });

  it("keeps first-write and ETag semantics per item when concurrent writes share a transaction", async () => {
    await store.set(input("e", "v0"));
    const { etag } = await store.get("e");
    const results = await Promise.allSettled([
      store.set(input("fw", "one", { concurrency: "first-write" })),
      store.set(input("fw", "two", { concurrency: "first-write" })),
      store.set(input("e", "v1", { etag: etag! })),
      store.set(input("e", "v2", { etag: etag! })),
      store.delete({ key: "e", etag: "0".repeat(32), metadata: {}, concurrency: "unspecified" }),
      store.set(input("plain", "p")),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
    expect((await store.get("fw")).value?.toString()).toBe("one");
    expect((await store.get("e")).value?.toString()).toBe("v1");
    expect((await store.get("plain")).value?.toString()).toBe("p");
  });

  it("lets queued single writes land before a bulk write that follows them", async () => {
    const first = store.set(input("o", "single"));
    const bulk = store.bulkSet([input("o", "bulk")]);
    await Promise.all([first, bulk]);
    expect((await store.get("o")).value?.toString()).toBe("bulk");
  });
});
