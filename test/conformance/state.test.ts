/**
 * The components-contrib state conformance cases for keyless's profile (transaction, etag, first-write,
 * ttl), restated in our own words and run through a real daprd's HTTP API instead of the Go interface.
 * Differences forced by the HTTP API: values are JSON, BulkSet is a save with two or more items, and
 * BulkDelete has no HTTP route (it is covered over the socket in test/socket).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateApi } from "../helpers/http.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "../e2e/fixture.js";
import { STATE_BACKENDS, type StateBackendEnv } from "../e2e/stateBackends.js";

describe.each(STATE_BACKENDS)(
  "state conformance (transaction, etag, first-write, ttl) through daprd on %s",
  (_b, setup) => {
    let stack: Stack;
    let backend: StateBackendEnv;
    let s: ReturnType<typeof stateApi>;
    const key = `conf-${Date.now()}`;
    const etagOf = async (k: string) => (await s.get(k)).headers.get("etag");

    beforeAll(async () => {
      backend = await setup(["statestore"]);
      stack = await startStack({
        tag: "conf",
        components: backend.components,
        extra: backend.extra,
        keylessEnv: backend.keylessEnv,
      });
      s = stateApi(stack.daprd.http, "statestore");
    });
    afterAll(async () => {
      await stack?.stop();
      await backend?.stop();
    });

    describe("transaction", () => {
      it("applies groups of upserts and deletes, each group visible after it commits", async () => {
        const groups = [
          [
            { operation: "upsert", request: { key: `${key}-tx-a`, value: "a1" } },
            { operation: "upsert", request: { key: `${key}-tx-b`, value: "b1" } },
          ],
          [
            { operation: "delete", request: { key: `${key}-tx-a` } },
            { operation: "upsert", request: { key: `${key}-tx-c`, value: "c1" } },
          ],
          [{ operation: "delete", request: { key: `${key}-tx-b` } }],
        ];
        const expected: Record<string, unknown>[] = [
          { a: "a1", b: "b1", c: undefined },
          { a: undefined, b: "b1", c: "c1" },
          { a: undefined, b: undefined, c: "c1" },
        ];
        for (const [i, ops] of groups.entries()) {
          expect((await s.transact(ops)).status).toBe(204);
          for (const [suffix, value] of Object.entries(expected[i]!)) {
            const r = await s.get(`${key}-tx-${suffix}`);
            if (value === undefined) expect(r.status).toBe(204);
            else expect(r.json).toBe(value);
          }
        }
      });

      it("keeps operation order inside one transaction", async () => {
        await s.save([{ key: `${key}-key1`, value: "value1" }]);
        await s.del(`${key}-key2`);
        await s.del(`${key}-key3`);
        const r = await s.transact([
          { operation: "delete", request: { key: `${key}-key1` } },
          { operation: "upsert", request: { key: `${key}-key2`, value: "value2" } },
          { operation: "delete", request: { key: `${key}-key2` } },
          { operation: "upsert", request: { key: `${key}-key3`, value: "value3" } },
        ]);
        expect(r.status).toBe(204);
        expect((await s.get(`${key}-key1`)).status).toBe(204);
        expect((await s.get(`${key}-key2`)).status).toBe(204);
        expect((await s.get(`${key}-key3`)).json).toBe("value3");
      });
    });

    describe("etag", () => {
      const keys = [1, 2, 3, 4].map((i) => `${key}-etag${i}`);

      it("issues etags, checks them on Set, BulkSet and Delete, and lets good items of a bulk through", async () => {
        expect((await s.save(keys.map((k) => ({ key: k, value: "first-value" })))).status).toBe(204);
        const first = await s.get(keys[0]!);
        expect(first.json).toBe("first-value");
        const etags = [first.headers.get("etag")!];
        const bulk = (await s.bulk(keys.slice(1))).json as { key: string; data: unknown; etag: string }[];
        for (const item of bulk) {
          expect(item.data).toBe("first-value");
          expect(item.etag).toMatch(/^[A-Za-z0-9_-]{16,}$/);
          etags.push(item.etag);
        }

        // Wrong etag: a mismatch.
        const wrong = await s.save([{ key: keys[0], value: "second-value", etag: backend.wrongEtag }]);
        expect(wrong.status).toBe(409);
        // Right etag: accepted, and the etag changes.
        expect((await s.save([{ key: keys[0], value: "second-value", etag: etags[0] }])).status).toBe(204);
        const second = await s.get(keys[0]!);
        expect(second.json).toBe("second-value");
        expect(second.headers.get("etag")).not.toBe(etags[0]);
        etags[0] = second.headers.get("etag")!;

        // Bulk with one wrong etag: that item fails, the other is applied.
        const partial = await s.save([
          { key: keys[1], value: "second-value", etag: backend.wrongEtag },
          { key: keys[2], value: "second-value", etag: etags[2] },
        ]);
        expect(partial.status).toBe(409);
        expect((await s.get(keys[1]!)).json).toBe("first-value");
        expect(await etagOf(keys[1]!)).toBe(etags[1]);
        expect((await s.get(keys[2]!)).json).toBe("second-value");
        expect(await etagOf(keys[2]!)).not.toBe(etags[2]);
        etags[2] = (await etagOf(keys[2]!))!;

        // Bulk with valid etags.
        expect(
          (
            await s.save([
              { key: keys[1], value: "third-value", etag: etags[1] },
              { key: keys[2], value: "third-value", etag: etags[2] },
            ])
          ).status,
        ).toBe(204);
        const after = (await s.bulk([keys[1]!, keys[2]!])).json as { data: unknown }[];
        expect(after.map((i) => i.data)).toEqual(["third-value", "third-value"]);

        // Delete with a wrong etag fails; with the right one it succeeds.
        expect((await s.del(keys[0]!, backend.wrongEtag)).status).toBe(409);
        expect((await s.del(keys[0]!, etags[0])).status).toBe(204);
        const gone = await s.get(keys[0]!);
        expect(gone.status).toBe(204);
        expect(gone.headers.get("etag")).toBeNull();
      });
    });

    describe("first-write", () => {
      const firstWrite = { concurrency: "first-write", consistency: "strong" };

      it.each([
        ["without an etag", {}],
        ["with an empty etag", { etag: "" }],
      ])("refuses the second first-write %s", async (_name, extra) => {
        const k = `${key}-firstwrite-${JSON.stringify(extra).length}`;
        expect((await s.del(k)).status).toBe(204);
        expect((await s.save([{ key: k, value: "testValue1", options: firstWrite, ...extra }])).status).toBe(
          204,
        );
        expect((await s.get(k)).json).toBe("testValue1");
        expect((await s.save([{ key: k, value: "testValue2", options: firstWrite, ...extra }])).status).toBe(
          409,
        );
      });

      it("accepts a first-write with the current etag once, and refuses the same etag again", async () => {
        const k = `${key}-firstwrite-etag`;
        await s.save([{ key: k, value: "testValue1" }]);
        const etag = await etagOf(k);
        expect((await s.save([{ key: k, value: "testValue2", etag, options: firstWrite }])).status).toBe(204);
        expect(await etagOf(k)).not.toBe(etag);
        expect((await s.get(k)).json).toBe("testValue2");
        expect((await s.save([{ key: k, value: "testValue2", etag, options: firstWrite }])).status).toBe(409);
      });
    });

    describe("ttl", () => {
      it("refuses a ttl that is not a number", async () => {
        const r = await s.save([{ key: `${key}-ttl`, value: "⏱️", metadata: { ttlInSeconds: "foo" } }]);
        expect(r.status).toBeGreaterThanOrEqual(400);
      });

      it("serves an item right away and stops serving it after its ttl", async () => {
        expect(
          (await s.save([{ key: `${key}-ttl`, value: "⏱️", metadata: { ttlInSeconds: "2" } }])).status,
        ).toBe(204);
        expect((await s.get(`${key}-ttl`)).json).toBe("⏱️");
        await waitFor(
          "the item to expire",
          async () => ((await s.get(`${key}-ttl`)).status === 204 ? true : undefined),
          {
            timeoutMs: 3000,
            intervalMs: 200,
          },
        );
      });

      it("reports ttlExpireTime close to now + ttl", async () => {
        const now = Date.now();
        await s.save([{ key: `${key}-ttl-expire-time`, value: "⏱️", metadata: { ttlInSeconds: "3600" } }]);
        const r = await s.get(`${key}-ttl-expire-time`);
        const at = Date.parse(r.headers.get("metadata.ttlexpiretime")!);
        expect(Math.abs(at - (now + 3_600_000))).toBeLessThan(10 * 60_000);
      });

      it("removes a ttl when a later write sets -1 or omits ttlInSeconds", async () => {
        const k = `${key}-ttl-expire-time-minus-1`;
        await s.save([{ key: k, value: "⏱️", metadata: { ttlInSeconds: "2" } }]);
        expect((await s.get(k)).headers.get("metadata.ttlexpiretime")).not.toBeNull();
        await s.save([{ key: k, value: "⏱️", metadata: { ttlInSeconds: "-1" } }]);
        expect((await s.get(k)).headers.get("metadata.ttlexpiretime")).toBeNull();
        await sleep(2500);
        expect((await s.get(k)).json).toBe("⏱️");
        await s.save([{ key: k, value: "⏱️", metadata: { ttlInSeconds: "2" } }]);
        expect((await s.get(k)).headers.get("metadata.ttlexpiretime")).not.toBeNull();
        await s.save([{ key: k, value: "⏱️" }]);
        expect((await s.get(k)).headers.get("metadata.ttlexpiretime")).toBeNull();
        await sleep(2500);
        expect((await s.get(k)).json).toBe("⏱️");
      });

      it("reports ttlExpireTime for each item of a bulk get", async () => {
        const now = Date.now();
        await s.save([
          { key: `${key}-ttl-bulk-1`, value: "123", metadata: { ttlInSeconds: "3600" } },
          { key: `${key}-ttl-bulk-2`, value: "234", metadata: { ttlInSeconds: "3600" } },
        ]);
        const items = (await s.bulk([`${key}-ttl-bulk-1`, `${key}-ttl-bulk-2`])).json as {
          data: unknown;
          metadata?: Record<string, string>;
        }[];
        expect(items.map((i) => i.data)).toEqual(["123", "234"]);
        for (const i of items) {
          const at = Date.parse(i.metadata?.ttlExpireTime ?? "");
          expect(Math.abs(at - (now + 3_600_000))).toBeLessThan(10 * 60_000);
        }
      });
    });
  },
);
