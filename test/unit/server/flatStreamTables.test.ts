/**
 * The http2 stream records swapped by flatStreamTables.ts, on real node:http2 sessions over a Unix socket
 * (connections handed to the http2 server the way grpc-js's connection injector hands them).
 */
import { EventEmitter } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Server } from "@grpc/grpc-js";
import {
  flattenSessionsOf,
  flattenStreamTables,
  StreamSet,
  StreamTable,
  type FlattenResult,
} from "../../../src/server/flatStreamTables.js";
import { listenLabelled } from "../../../src/server/listener.js";
import { loadServiceDefinitions } from "../../../src/server/protos.js";
import { SocketClient } from "../../helpers/socketClient.js";
import { makeTmpDir } from "../../helpers/tmp.js";

interface Served {
  socket: string;
  results: FlattenResult[];
  sessions: http2.ServerHttp2Session[];
  h2: http2.Http2Server;
  close(): Promise<void>;
}

async function serve(onStream: (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void) {
  const tmp = makeTmpDir("h2t");
  const socket = path.join(tmp.dir, "h2.sock");
  const h2 = http2.createServer();
  const results: FlattenResult[] = [];
  const sessions: http2.ServerHttp2Session[] = [];
  h2.on("session", (s) => {
    sessions.push(s);
    results.push(flattenStreamTables(s));
  });
  h2.on("stream", onStream);
  const listener = net.createServer((conn) => h2.emit("connection", conn));
  await new Promise<void>((resolve) => listener.listen(socket, resolve));
  const served: Served = {
    socket,
    results,
    sessions,
    h2,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      tmp.cleanup();
    },
  };
  return served;
}

function connect(socket: string) {
  return http2.connect("http://keyless", { createConnection: () => net.connect(socket) });
}

function get(client: http2.ClientHttp2Session, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = client.request({ ":path": p });
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => resolve(body));
    req.on("error", reject);
    req.end();
  });
}

describe("flattenStreamTables on real http2 sessions", () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it("applies on this Node and the session serves many concurrent streams", async () => {
    served = await serve((s, h) => {
      s.respond({ ":status": 200 });
      s.end(String(h[":path"]));
    });
    const client = connect(served.socket);
    const paths = Array.from({ length: 200 }, (_, i) => `/r${i}`);
    expect(await Promise.all(paths.map((p) => get(client, p)))).toEqual(paths);
    // On the Node the image ships, the swap must take: if a Node upgrade changes http2's internals,
    // this fails rather than silently bringing back the garbage-collection cost.
    expect(served.results).toEqual([{ applied: true }]);

    // The session closes only once its record of open streams is empty (Node checks its size).
    const closed = new Promise<void>((resolve) => served!.sessions[0]!.once("close", resolve));
    client.close();
    await closed;
  });

  it("destroying a session ends every stream it still holds", async () => {
    const held: http2.ServerHttp2Stream[] = [];
    served = await serve((s) => held.push(s));
    const client = connect(served.socket);
    client.on("error", () => undefined);
    const answers = Array.from({ length: 5 }, (_, i) => get(client, `/held${i}`).catch((e: Error) => e));
    await expect.poll(() => held.length).toBe(5);
    const closes = held.map((s) => new Promise<void>((resolve) => s.once("close", resolve)));
    served.sessions[0]!.destroy();
    await Promise.all(closes);
    expect(held.every((s) => s.destroyed)).toBe(true);
    await Promise.all(answers);
  });

  it("leaves a session it has already swapped alone, with a reason", async () => {
    served = await serve((s) => {
      s.respond({ ":status": 200 });
      s.end("ok");
    });
    const client = connect(served.socket);
    expect(await get(client, "/")).toBe("ok");
    expect(flattenStreamTables(served.sessions[0]!)).toEqual({
      applied: false,
      reason: "the http2 session does not keep its streams in a Map and a Set",
    });
    expect(await get(client, "/again")).toBe("ok");
    client.close();
  });

  it("reports an object that is not an http2 session instead of failing", () => {
    expect(flattenStreamTables(new EventEmitter())).toEqual({
      applied: false,
      reason: "the http2 session has no state record",
    });
  });
});

describe("flattenSessionsOf with grpc-js", () => {
  it("flattens every session of keyless's connection injector, which keeps answering calls", async () => {
    const tmp = makeTmpDir("h2g");
    const socket = path.join(tmp.dir, "g.sock");
    const server = new Server();
    const defs = loadServiceDefinitions();
    server.addService(defs["dapr.proto.components.v1.StateStore"]!, {
      Ping: (_call: unknown, cb: (e: null, r: object) => void) => cb(null, {}),
    });
    const results: FlattenResult[] = [];
    const listener = await listenLabelled(server, socket, { streamTables: (r) => results.push(r) }, 0o600);
    const clients = [new SocketClient(socket), new SocketClient(socket)];
    try {
      for (const c of clients)
        await Promise.all(Array.from({ length: 50 }, () => c.call("StateStore", "Ping", {}, "x")));
      // grpc-js may share one connection between the two clients: every session it made is flattened.
      expect(results.length).toBeGreaterThan(0);
      expect(results.every((r) => r.applied)).toBe(true);
    } finally {
      for (const c of clients) c.close();
      server.forceShutdown();
      await listener.close();
      tmp.cleanup();
    }
  });

  it("reports, and changes nothing, when grpc-js does not record an http2 server", () => {
    const results: FlattenResult[] = [];
    expect(
      flattenSessionsOf(
        {},
        () => 42,
        (r) => results.push(r),
      ),
    ).toBe(42);
    expect(results).toEqual([
      { applied: false, reason: "grpc-js did not record the http2 server it created" },
    ]);
  });
});

describe("StreamTable", () => {
  it("gets, replaces and deletes by id, counting entries", () => {
    const t = new StreamTable<number, string>();
    t.set(1, "a").set(3, "b").set(5, "c");
    t.set(3, "B");
    expect([t.size, t.get(1), t.get(3), t.get(5), t.get(7)]).toEqual([3, "a", "B", "c", undefined]);
    expect(t.delete(1)).toBe(true);
    expect(t.delete(1)).toBe(false);
    expect([t.size, t.has(1), t.get(3), t.get(5)]).toEqual([2, false, "B", "c"]);
  });

  it("forEach visits the entries present when it starts, skipping those deleted along the way", () => {
    const t = new StreamTable<number, string>();
    for (const id of [1, 3, 5, 7]) t.set(id, `s${id}`);
    const seen: number[] = [];
    t.forEach((_v, id) => {
      seen.push(id);
      t.delete(id);
      if (id === 1) t.delete(5);
      t.set(101 + id, "late");
    });
    expect(seen).toEqual([1, 3, 7]);
    expect(t.size).toBe(3);
  });
});

describe("StreamSet", () => {
  it("adds once, deletes, and visits while its callback deletes", () => {
    const a = { n: 1 };
    const b = { n: 2 };
    const c = { n: 3 };
    const s = new StreamSet<object>().add(a).add(b).add(a).add(c);
    expect(s.size).toBe(3);
    const seen: object[] = [];
    s.forEach((v) => {
      seen.push(v);
      s.delete(v);
      if (v === a) s.delete(b);
    });
    expect(seen).toEqual([a, c]);
    expect([s.size, s.has(a), s.delete(a)]).toEqual([0, false, false]);
  });
});
