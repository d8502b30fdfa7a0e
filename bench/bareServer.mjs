/**
 * The start-up floor: a bare grpc-js server (no services) bound to a Unix socket, run with plain `node`
 * like the built keyless. Plain JavaScript so that no loader (tsx) adds to its start-up.
 */
import { Server, ServerCredentials } from "@grpc/grpc-js";

const socket = process.argv[2];
if (!socket) throw new Error("usage: bareServer.mjs <socket path>");
const server = new Server();
server.bindAsync(`unix:${socket}`, ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
});
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
