/**
 * Accepts connections on the Unix socket ourselves and hands each to grpc-js, labelled with its own id.
 * grpc-js reports every Unix-socket peer as "unknown", but the instance registry must tell daprd
 * connections apart (an instance belongs to the connection that initialised it while that connection
 * lives), so each accepted socket's `remoteAddress` names the connection and `call.getPeer()` returns it.
 */
import { ServerCredentials, type Server } from "@grpc/grpc-js";
import net from "node:net";
import { flattenSessionsOf, type FlattenResult } from "./flatStreamTables.js";

export interface ConnectionHooks {
  opened?(peer: string): void;
  closed?(peer: string): void;
  /** Whether a connection's http2 stream records were swapped (see flatStreamTables.ts). */
  streamTables?(result: FlattenResult): void;
}

export interface Listener {
  /** Stops accepting new connections (grpc-js's shutdown closes the open ones); does not wait for them. */
  close(): Promise<void>;
}

/**
 * Listens on `socket`, created with `mode` from the start (the umask is narrowed only around the
 * synchronous bind), so no client ever sees it with a wider mode. A temporary name plus rename would be
 * tidier, but daprd treats every file in the folder as a socket and would hang on a stray one.
 */
export async function listenLabelled(
  server: Server,
  socket: string,
  hooks: ConnectionHooks,
  mode: number,
): Promise<Listener> {
  const injector = flattenSessionsOf(
    server,
    () => server.createConnectionInjector(ServerCredentials.createInsecure()),
    (result) => hooks.streamTables?.(result),
  );
  let next = 0;
  const listener = net.createServer((conn) => {
    const peer = `keyless-conn-${++next}`;
    Object.defineProperty(conn, "remoteAddress", { value: peer });
    hooks.opened?.(peer);
    conn.once("close", () => hooks.closed?.(peer));
    injector.injectConnection(conn);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    const umask = process.umask(~mode & 0o777);
    try {
      listener.listen(socket, () => {
        listener.off("error", reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  // Stop accepting at once; the open connections are closed by grpc-js's shutdown, and waiting for them
  // here could hold a stop forever on a client that never goes away.
  return {
    close: async () => {
      listener.close();
    },
  };
}
