/**
 * The baselines for the socket and state benchmarks: the same grpc-js stack, protos and socket handling as
 * keyless, but every RPC answers a constant at once. Serves SecretStore (for the socket benchmark) and
 * StateStore with server reflection, so daprd discovers it as `state.<socket name>`: the floor of any
 * pluggable state store on this stack. Run as its own process, like keyless.
 */
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { loadComponentDefinition } from "../src/runtime/componentDefinition.js";
import { applySocketAccess, DEFAULT_SOCKET_MODE, prepareSocket } from "../src/server/socket.js";

type Cb = (e: null, r: unknown) => void;

const socket = process.argv[2];
if (!socket) throw new Error("usage: noopServer <socket path>");
const pkg = loadComponentDefinition();
const server = new Server();
const ok = (_call: unknown, cb: Cb) => cb(null, {});
const PKG = "dapr.proto.components.v1";
server.addService(pkg[`${PKG}.SecretStore`] as ServiceDefinition, {
  Init: ok,
  Features: (_c: unknown, cb: Cb) => cb(null, { features: [] }),
  Ping: ok,
  Get: (call: { request: { key: string } }, cb: Cb) => cb(null, { data: { [call.request.key]: "constant" } }),
  BulkGet: (_c: unknown, cb: Cb) => cb(null, { data: {} }),
});
// A Get answers a value the size of the benchmark's (a JSON object with a 64-byte payload) and an etag.
const value = Buffer.from(JSON.stringify({ n: 1, payload: "x".repeat(64) }));
server.addService(pkg[`${PKG}.StateStore`] as ServiceDefinition, {
  Init: ok,
  Features: (_c: unknown, cb: Cb) => cb(null, { features: ["ETAG", "TRANSACTIONAL", "TTL"] }),
  Ping: ok,
  Get: (_c: unknown, cb: Cb) =>
    cb(null, { data: value, etag: { value: "1" }, metadata: {}, contentType: "" }),
  Set: ok,
  Delete: ok,
  BulkGet: (_c: unknown, cb: Cb) => cb(null, { items: [] }),
  BulkSet: ok,
  BulkDelete: ok,
});
server.addService(pkg[`${PKG}.TransactionalStateStore`] as ServiceDefinition, { Transact: ok });
const services = [`${PKG}.SecretStore`, `${PKG}.StateStore`, `${PKG}.TransactionalStateStore`];
new ReflectionService(pkg, { services }).addToServer(server);
await prepareSocket(socket);
server.bindAsync(`unix:${socket}`, ServerCredentials.createInsecure(), async (err) => {
  if (err) throw err;
  await applySocketAccess(socket, { mode: DEFAULT_SOCKET_MODE });
  process.stdout.write("ready\n");
});
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
