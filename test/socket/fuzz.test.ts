/**
 * Malformed and random input to every RPC, over the socket, as raw bytes: no crash, a proper status each
 * time, and the instance keeps working afterwards. Random inputs come from a seeded generator so a failure
 * can be replayed (the seed is in the test name).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import path from "node:path";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { SocketClient, type CallError } from "../helpers/socketClient.js";
import { makeTmpDir } from "../helpers/tmp.js";

const RPCS: Record<string, string[]> = {
  StateStore: ["Init", "Features", "Delete", "Get", "Set", "Ping", "BulkDelete", "BulkGet", "BulkSet"],
  TransactionalStateStore: ["Transact"],
  TransactionalStoreMultiMaxSize: ["MultiMaxSize"],
  SecretStore: ["Init", "Features", "Get", "BulkGet", "Ping"],
};
const SEED = 20261123;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe(`fuzzing every RPC (seed ${SEED})`, () => {
  const tmp = makeTmpDir("fuzz");
  let keyless: KeylessProcess;
  let client: SocketClient;
  let raw: grpc.Client;

  const rawCall = (service: string, rpc: string, payload: Buffer, instance: string | string[] | undefined) =>
    new Promise<{ code: number; details: string }>((resolve) => {
      const md = new grpc.Metadata();
      for (const v of instance === undefined ? [] : Array.isArray(instance) ? instance : [instance])
        md.add("x-component-instance", v);
      raw.makeUnaryRequest(
        `/dapr.proto.components.v1.${service}/${rpc}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        payload,
        md,
        { deadline: Date.now() + 10_000 },
        (err) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: "" }),
      );
    });

  beforeAll(async () => {
    keyless = await startKeyless({ socketDir: path.join(tmp.dir, "s"), dataDir: path.join(tmp.dir, "d") });
    client = new SocketClient(keyless.socket);
    raw = new grpc.Client(`unix:${keyless.socket}`, grpc.credentials.createInsecure());
    await client.call("StateStore", "Init", { metadata: { properties: {} } }, "st");
    await client.call("SecretStore", "Init", { metadata: { properties: { envPrefix: "FUZZ_" } } }, "sec");
  });
  afterAll(async () => {
    client?.close();
    raw?.close();
    await keyless?.stop();
    tmp.cleanup();
  });

  it("answers 400 random payloads per RPC with a status and never dies", async () => {
    const next = rng(SEED);
    const codes = new Map<number, number>();
    for (const [service, rpcs] of Object.entries(RPCS)) {
      for (const rpc of rpcs) {
        for (let i = 0; i < 400; i++) {
          const len = Math.floor(next() * (next() < 0.1 ? 4096 : 64));
          const payload = Buffer.alloc(len);
          for (let j = 0; j < len; j++) payload[j] = Math.floor(next() * 256);
          const instance =
            next() < 0.1 ? undefined : next() < 0.5 ? (service === "SecretStore" ? "sec" : "st") : "unknown";
          // Never Init with random bytes on the healthy instances: that would replace them by design.
          const inst = rpc === "Init" && instance !== undefined ? `fuzz-${i}` : instance;
          const r = await rawCall(service, rpc, payload, inst);
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
          expect(r.code).not.toBe(grpc.status.UNKNOWN);
        }
      }
    }
    expect(keyless.proc.exitCode).toBeNull();
    // Random bytes are mostly undecodable (INTERNAL from grpc-js), or decode to requests we reject.
    expect([...codes.keys()].every((c) => c !== grpc.status.UNAVAILABLE)).toBe(true);
  }, 120_000);

  it.each([
    ["a NUL byte", "a\u0000b"],
    ["path tricks", "../../etc/passwd"],
    ["a lone surrogate (invalid UTF-16)", "x\ud800y"],
    ["emoji and RTL text", "🔑‮abc"],
    ["only separators", "||||"],
    ["whitespace", " \t\n "],
  ])("stores and returns a key with %s, exactly", async (_name, key) => {
    await client.call("StateStore", "Set", { key, value: Buffer.from("v") }, "st");
    const got = await client.call<{ data: Buffer }>("StateStore", "Get", { key }, "st");
    expect(got.data.toString()).toBe("v");
  });

  it("sends invalid UTF-8 in a key and gets a clear answer", async () => {
    // A protobuf string field with bytes that are not UTF-8: field 1 (key), length 3, 0xff 0xfe 0xfd.
    const payload = Buffer.from([0x0a, 0x03, 0xff, 0xfe, 0xfd]);
    const r = await rawCall("StateStore", "Get", payload, "st");
    expect([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.INTERNAL]).toContain(r.code);
  });

  it("rejects absent, empty and conflicting instance headers on every RPC", async () => {
    for (const [service, rpcs] of Object.entries(RPCS)) {
      for (const rpc of rpcs) {
        const variants: Record<string, string | string[]>[] = [
          {},
          { "x-component-instance": "" },
          { "x-component-instance": ["st", "sec"] },
        ];
        for (const headers of variants) {
          const e = await client.call(service, rpc, {}, headers).then(
            () => undefined,
            (err: CallError) => err,
          );
          expect(e?.code, `${service}/${rpc} with ${JSON.stringify(headers)}`).toBe(
            grpc.status.INVALID_ARGUMENT,
          );
        }
      }
    }
  });

  it("rejects wrong metadata on Init for both component types without touching existing instances", async () => {
    const cases: Record<string, string>[] = [
      { backend: "tables" },
      { tableName: "x; DROP TABLE state" },
      { ttlCleanupInterval: "-5s" },
      { synchronous: "yes please" },
      { path: "" },
      { azureClientId: "not-a-guid" },
    ];
    for (const props of cases) {
      const e = await client.call("StateStore", "Init", { metadata: { properties: props } }, "st").then(
        () => undefined,
        (err: CallError) => err,
      );
      expect(e?.code, JSON.stringify(props)).toBe(grpc.status.INVALID_ARGUMENT);
    }
    for (const props of [
      { sources: "vault" },
      { vaultName: "x" },
      { vaultUri: "http://insecure" },
      { cacheTTL: "forever", envPrefix: "A" },
    ]) {
      const e = await client.call("SecretStore", "Init", { metadata: { properties: props } }, "sec").then(
        () => undefined,
        (err: CallError) => err,
      );
      expect(e?.code, JSON.stringify(props)).toBe(grpc.status.INVALID_ARGUMENT);
    }
    // The healthy instances were not replaced by the failed Inits.
    await client.call("StateStore", "Set", { key: "still-here", value: Buffer.from("1") }, "st");
    expect(
      (await client.call<{ data: Buffer }>("StateStore", "Get", { key: "still-here" }, "st")).data.toString(),
    ).toBe("1");
  });
});
