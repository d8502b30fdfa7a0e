/**
 * keyless as a process, driven over its Unix socket the way daprd drives it: reflection, Init, every
 * state/secret RPC, and bad input of every kind. Each bad call must get a clear status and no crash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { KEYLESS_MAIN } from "../helpers/paths.js";
import { listServices } from "../helpers/reflection.js";
import { SocketClient, type CallError } from "../helpers/socketClient.js";
import { makeTmpDir } from "../helpers/tmp.js";

const S = "StateStore";
const SEC = "SecretStore";

describe("keyless over its socket", () => {
  const tmp = makeTmpDir("sock");
  const socketDir = path.join(tmp.dir, "s");
  let keyless: KeylessProcess;
  let client: SocketClient;
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail("call should have failed"),
      (e: CallError) => e,
    );

  beforeAll(async () => {
    writeFileSync(path.join(tmp.dir, "secrets.json"), JSON.stringify({ a: "1", nested: { b: "2" } }));
    keyless = await startKeyless({
      socketDir,
      dataDir: path.join(tmp.dir, "data"),
      cwd: tmp.dir,
      env: { KS_FROM_ENV: "env-value" },
    });
    client = new SocketClient(keyless.socket);
    await client.call(S, "Init", { metadata: { properties: { ttlCleanupInterval: "1s" } } }, "st");
    await client.call(
      SEC,
      "Init",
      { metadata: { properties: { secretsFile: "secrets.json", envPrefix: "KS_" } } },
      "sec",
    );
  });
  afterAll(async () => {
    client?.close();
    await keyless?.stop();
    tmp.cleanup();
  });

  it("creates the socket with mode 0666", () => {
    expect(statSync(keyless.socket).mode & 0o777).toBe(0o666);
  });

  it("keeps Node's http2 stream records out of the way of the collector (no fallback line logged)", async () => {
    await client.call(S, "Ping", {}, "st");
    expect(keyless.lines.filter((l) => l.includes("http2 stream records left"))).toEqual([]);
  });

  it("lists exactly the served services over reflection v1alpha and v1", async () => {
    const expected = [
      "dapr.proto.components.v1.SecretStore",
      "dapr.proto.components.v1.StateStore",
      "dapr.proto.components.v1.TransactionalStateStore",
      "dapr.proto.components.v1.TransactionalStoreMultiMaxSize",
    ];
    expect(await listServices(keyless.socket, "v1alpha")).toEqual(expected);
    expect(await listServices(keyless.socket, "v1")).toEqual(expected);
  });

  it("answers Features, Ping and MultiMaxSize", async () => {
    expect(await client.call(S, "Features", {}, "st")).toEqual({
      features: ["ETAG", "TRANSACTIONAL", "TTL"],
    });
    expect(await client.call(SEC, "Features", {}, "sec")).toEqual({ features: [] });
    expect(await client.call(S, "Ping", {}, "st")).toEqual({});
    expect(await client.call("TransactionalStoreMultiMaxSize", "MultiMaxSize", {}, "st")).toEqual({
      maxSize: 1000,
    });
  });

  it("serves secrets from the file and env sources", async () => {
    expect(await client.call(SEC, "Get", { key: "nested:b" }, "sec")).toEqual({ data: { "nested:b": "2" } });
    expect(await client.call(SEC, "Get", { key: "FROM_ENV" }, "sec")).toEqual({
      data: { FROM_ENV: "env-value" },
    });
    const bulk = await client.call<{ data: Record<string, { secrets: Record<string, string> }> }>(
      SEC,
      "BulkGet",
      {},
      "sec",
    );
    expect(Object.keys(bulk.data).sort()).toEqual(["FROM_ENV", "a", "nested:b"]);
  });

  it("returns NOT_FOUND naming the instance, key and sources", async () => {
    const e = await fail(client.call(SEC, "Get", { key: "nope" }, "sec"));
    expect(e.code).toBe(status.NOT_FOUND);
    expect(e.details).toMatch(/"nope".*"sec".*file\(secrets\.json\), env\(KS_\*\)/);
  });

  it("refuses a call with no instance header", async () => {
    const e = await fail(client.call(S, "Get", { key: "k" }, {}));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toContain("x-component-instance");
  });

  it("refuses a call with two different instance headers", async () => {
    const e = await fail(client.call(S, "Get", { key: "k" }, { "x-component-instance": ["st", "other"] }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
  });

  it("refuses a call for an instance that was never initialised, naming the fix", async () => {
    const e = await fail(client.call(S, "Get", { key: "k" }, "never-seen"));
    expect(e.code).toBe(status.FAILED_PRECONDITION);
    expect(e.details).toContain('"never-seen"');
    expect(e.details).toContain("restart the Dapr sidecar");
  });

  it("refuses an empty key and a 1 MiB key with INVALID_ARGUMENT", async () => {
    const empty = await fail(client.call(S, "Set", { key: "", value: Buffer.from("v") }, "st"));
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.status?.details[0]?.decoded.metadata).toMatchObject({ http_code: "400" });
    const huge = await fail(client.call(S, "Get", { key: "k".repeat(1024 * 1024) }, "st"));
    expect(huge.code).toBe(status.INVALID_ARGUMENT);
    expect(huge.details).toContain("1048576 bytes");
  });

  it("maps a malformed etag to INVALID_ARGUMENT and a stale one to FAILED_PRECONDITION, with BadRequest on etag", async () => {
    await client.call(S, "Set", { key: "e", value: Buffer.from("1") }, "st");
    const bad = await fail(
      client.call(S, "Set", { key: "e", value: Buffer.from("2"), etag: { value: "zzz" } }, "st"),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.status?.details).toHaveLength(1);
    expect(bad.status?.details[0]?.decoded).toMatchObject({ fieldViolations: [{ field: "etag" }] });
    const stale = await fail(client.call(S, "Delete", { key: "e", etag: { value: "0".repeat(32) } }, "st"));
    expect(stale.code).toBe(status.FAILED_PRECONDITION);
    expect(stale.status?.details[0]?.decoded).toMatchObject({ fieldViolations: [{ field: "etag" }] });
  });

  it("reports a BulkDelete etag mismatch and leaves the other item applied", async () => {
    await client.call(
      S,
      "BulkSet",
      {
        items: [
          { key: "b1", value: Buffer.from("1") },
          { key: "b2", value: Buffer.from("1") },
        ],
      },
      "st",
    );
    const e = await fail(
      client.call(
        S,
        "BulkDelete",
        { items: [{ key: "b1" }, { key: "b2", etag: { value: "1".repeat(32) } }] },
        "st",
      ),
    );
    expect(e.code).toBe(status.FAILED_PRECONDITION);
    const got = await client.call<{ items: { key: string; data: Buffer }[] }>(
      S,
      "BulkGet",
      { items: [{ key: "b1" }, { key: "b2" }] },
      "st",
    );
    expect(got.items.map((i) => [i.key, i.data.length > 0])).toEqual([
      ["b1", false],
      ["b2", true],
    ]);
  });

  it("rejects a whole transaction when one operation fails", async () => {
    const e = await fail(
      client.call(
        "TransactionalStateStore",
        "Transact",
        {
          operations: [
            { set: { key: "tx1", value: Buffer.from("x") } },
            { delete: { key: "tx-missing", etag: { value: "2".repeat(32) } } },
          ],
        },
        "st",
      ),
    );
    expect(e.code).toBe(status.FAILED_PRECONDITION);
    const got = await client.call<{ data: Buffer }>(S, "Get", { key: "tx1" }, "st");
    expect(got.data.length).toBe(0);
  });

  it("refuses Init with unknown or malformed metadata, naming the fields", async () => {
    const unknown = await fail(
      client.call(S, "Init", { metadata: { properties: { bakend: "sqlite" } } }, "bad1"),
    );
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    expect(unknown.details).toMatch(/bakend: unknown metadata key \(did you mean backend\?\)/);
    const malformed = await fail(
      client.call(
        S,
        "Init",
        { metadata: { properties: { backend: "mongo", ttlCleanupInterval: "often" } } },
        "bad2",
      ),
    );
    expect(malformed.details).toMatch(/backend:.*ttlCleanupInterval:/s);
    const secrets = await fail(client.call(SEC, "Init", { metadata: { properties: {} } }, "bad3"));
    expect(secrets.details).toContain("no secret source is configured");
    // A failed Init leaves no instance behind.
    const after = await fail(client.call(S, "Get", { key: "k" }, "bad1"));
    expect(after.code).toBe(status.FAILED_PRECONDITION);
  });

  it("is still alive after all of the above", () => {
    expect(keyless.proc.exitCode).toBeNull();
  });
});

describe("socket lifecycle", () => {
  it("removes a stale socket file, refuses a live one, and removes its socket on SIGTERM", async () => {
    const tmp = makeTmpDir("life");
    const socketDir = path.join(tmp.dir, "s");
    const socket = path.join(socketDir, "keyless.sock");
    // A stale socket: bound, then the owner went away without removing the file.
    mkdirSync(socketDir, { recursive: true });
    // A process that dies by SIGKILL while listening leaves its socket file behind.
    spawnSync(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    expect(existsSync(socket)).toBe(true);

    const first = await startKeyless({ socketDir, dataDir: path.join(tmp.dir, "d") });
    expect(first.lines.join("\n")).toContain("removed a stale socket file");

    const second = spawnSync(process.execPath, [KEYLESS_MAIN, "serve"], {
      env: {
        ...process.env,
        DAPR_COMPONENTS_SOCKETS_FOLDER: socketDir,
        KEYLESS_DATA_DIR: path.join(tmp.dir, "d2"),
      },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(second.status).toBe(2);
    expect(second.stdout + second.stderr).toContain("another process is already serving");

    expect(await first.stop("SIGTERM")).toBe(0);
    expect(existsSync(socket)).toBe(false);
    tmp.cleanup();
  });

  it("refuses to start when the injector's and daprd's socket folder variables differ", () => {
    const tmp = makeTmpDir("folders");
    const run = spawnSync(process.execPath, [KEYLESS_MAIN, "serve"], {
      env: {
        ...process.env,
        DAPR_COMPONENTS_SOCKETS_FOLDER: path.join(tmp.dir, "a"),
        DAPR_COMPONENT_SOCKETS_FOLDER: path.join(tmp.dir, "b"),
        KEYLESS_DATA_DIR: path.join(tmp.dir, "d"),
      },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toContain("name different socket folders");
    expect(existsSync(path.join(tmp.dir, "a"))).toBe(false);
    tmp.cleanup();
  });
});
