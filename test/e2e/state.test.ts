/** state.keyless through a real daprd over the Dapr state API: the behaviours apps rely on. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateApi } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";
import { STATE_BACKENDS, type StateBackendEnv } from "./stateBackends.js";

describe.each(STATE_BACKENDS)("state.keyless through daprd on %s", (_backend, setup) => {
  let stack: Stack;
  let backend: StateBackendEnv;
  let s: ReturnType<typeof stateApi>;
  let b: ReturnType<typeof stateApi>;

  beforeAll(async () => {
    backend = await setup(["statestore", "statestore-b"]);
    stack = await startStack({
      tag: "st",
      components: backend.components,
      extra: backend.extra,
      keylessEnv: backend.keylessEnv,
    });
    s = stateApi(stack.daprd.http, "statestore");
    b = stateApi(stack.daprd.http, "statestore-b");
  });
  afterAll(async () => {
    await stack?.stop();
    await backend?.stop();
  });

  it("advertises ETAG, TRANSACTIONAL and TTL (and daprd derives ACTOR)", async () => {
    const md = (await (await fetch(`${stack.daprd.http}/v1.0/metadata`)).json()) as {
      components: { name: string; capabilities?: string[] }[];
    };
    const caps = md.components.find((c) => c.name === "statestore")?.capabilities;
    expect(caps).toEqual(["ETAG", "TRANSACTIONAL", "TTL", "ACTOR"]);
  });

  it("saves, gets with an ETag header, and deletes", async () => {
    expect((await s.save([{ key: "k1", value: { hello: "world" } }])).status).toBe(204);
    const got = await s.get("k1");
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ hello: "world" });
    expect(got.headers.get("etag")).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect((await s.del("k1")).status).toBe(204);
    expect((await s.get("k1")).status).toBe(204);
  });

  it("returns 204 for a key that was never written", async () => {
    expect((await s.get("never")).status).toBe(204);
  });

  it("bulk-saves and bulk-gets in request order, with missing keys present but empty", async () => {
    expect(
      (
        await s.save([
          { key: "b1", value: 1 },
          { key: "b2", value: "two" },
        ])
      ).status,
    ).toBe(204);
    const r = await s.bulk(["b2", "missing", "b1"]);
    expect(r.status).toBe(200);
    const items = r.json as { key: string; data?: unknown; etag?: string }[];
    expect(items.map((i) => [i.key, i.data])).toEqual([
      ["b2", "two"],
      ["missing", undefined],
      ["b1", 1],
    ]);
    expect(items[0]!.etag).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  });

  it("applies a transaction atomically", async () => {
    await s.save([{ key: "t1", value: "old" }]);
    const ok = await s.transact([
      { operation: "upsert", request: { key: "t2", value: "new" } },
      { operation: "delete", request: { key: "t1" } },
    ]);
    expect(ok.status).toBe(204);
    expect((await s.get("t1")).status).toBe(204);
    expect((await s.get("t2")).json).toBe("new");

    const failed = await s.transact([
      { operation: "upsert", request: { key: "t3", value: "never" } },
      { operation: "delete", request: { key: "t2", etag: "0123456789abcdef0123456789abcdef" } },
    ]);
    expect(failed.status).toBe(500);
    expect((failed.json as { errorCode: string }).errorCode).toBe("ERR_STATE_TRANSACTION");
    expect((await s.get("t3")).status).toBe(204);
    expect((await s.get("t2")).json).toBe("new");
  });

  it("answers 409 for an ETag mismatch and 400 for an invalid ETag", async () => {
    await s.save([{ key: "e1", value: 1 }]);
    const etag = (await s.get("e1")).headers.get("etag")!;
    const stale = await s.save([{ key: "e1", value: 2, etag: backend.wrongEtag }]);
    expect(stale.status).toBe(409);
    expect(stale.text).toContain("possible etag mismatch");
    const invalid = await s.save([{ key: "e1", value: 2, etag: "not-an-etag" }]);
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain("invalid etag value");
    const delStale = await s.del("e1", backend.wrongEtag);
    expect(delStale.status).toBe(409);
    expect((await s.save([{ key: "e1", value: 3, etag }])).status).toBe(204);
    expect((await s.get("e1")).json).toBe(3);
  });

  it("enforces first-write concurrency", async () => {
    const opts = { concurrency: "first-write" };
    expect((await s.save([{ key: "fw", value: 1, options: opts }])).status).toBe(204);
    expect((await s.save([{ key: "fw", value: 2, options: opts }])).status).toBe(409);
    const etag = (await s.get("fw")).headers.get("etag")!;
    expect((await s.save([{ key: "fw", value: 3, etag, options: opts }])).status).toBe(204);
  });

  it("expires items by ttlInSeconds, reports ttlExpireTime, and hides them at once", async () => {
    expect((await s.save([{ key: "ttl", value: "short", metadata: { ttlInSeconds: "1" } }])).status).toBe(
      204,
    );
    const live = await s.get("ttl");
    expect(live.status).toBe(200);
    expect(live.headers.get("metadata.ttlexpiretime")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await waitFor(
      "the item to expire",
      async () => ((await s.get("ttl")).status === 204 ? true : undefined),
      {
        timeoutMs: 5000,
        intervalMs: 100,
      },
    );
  });

  it("answers 400 for a bad ttlInSeconds and for an oversized key, and keeps serving", async () => {
    expect((await s.save([{ key: "x", value: 1, metadata: { ttlInSeconds: "soon" } }])).status).toBe(400);
    expect((await s.save([{ key: "k".repeat(5000), value: 1 }])).status).toBe(400);
    expect((await s.save([{ key: "after", value: 1 }])).status).toBe(204);
  });

  it("keeps two instances on the one socket isolated", async () => {
    await s.save([{ key: "shared-name", value: "from-a" }]);
    await b.save([{ key: "shared-name", value: "from-b" }]);
    expect((await s.get("shared-name")).json).toBe("from-a");
    expect((await b.get("shared-name")).json).toBe("from-b");
    await b.del("shared-name");
    expect((await s.get("shared-name")).json).toBe("from-a");
    expect((await b.get("shared-name")).status).toBe(204);
  });
});
