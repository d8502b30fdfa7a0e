/**
 * The baseline for the socket benchmark: the same grpc-js stack, protos and socket handling as keyless,
 * but SecretStore/Get answers a constant at once. Run as its own process, like keyless.
 */
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/proto-loader";
import { loadComponentDefinition } from "../src/server/protos.js";
import { applySocketAccess, DEFAULT_SOCKET_MODE, prepareSocket } from "../src/server/socket.js";

const socket = process.argv[2];
if (!socket) throw new Error("usage: noopServer <socket path>");
const pkg = loadComponentDefinition();
const server = new Server();
const ok = (_call: unknown, cb: (e: null, r: unknown) => void) => cb(null, {});
server.addService(pkg["dapr.proto.components.v1.SecretStore"] as ServiceDefinition, {
  Init: ok,
  Features: (_c: unknown, cb: (e: null, r: unknown) => void) => cb(null, { features: [] }),
  Ping: ok,
  Get: (call: { request: { key: string } }, cb: (e: null, r: unknown) => void) =>
    cb(null, { data: { [call.request.key]: "constant" } }),
  BulkGet: (_c: unknown, cb: (e: null, r: unknown) => void) => cb(null, { data: {} }),
});
await prepareSocket(socket);
server.bindAsync(`unix:${socket}`, ServerCredentials.createInsecure(), async (err) => {
  if (err) throw err;
  await applySocketAccess(socket, { mode: DEFAULT_SOCKET_MODE });
  process.stdout.write("ready\n");
});
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
