/**
 * A TCP proxy that adds a fixed delay to every byte the client sends, so each request/response round trip
 * (TLS handshake included) takes `delayMs` longer, as with a service that far away on the network. Works
 * below TLS and HTTP, so the stand-ins' certificates and the clients' checks are unchanged, and the same
 * proxy serves the Key Vault stand-in and Azurite.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface LatencyProxy {
  port: number;
  /** Connections accepted so far (a client that does not keep connections alive opens many). */
  readonly connections: number;
  /** The delay added from now on; can change while connections are open. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startLatencyProxy(opts: {
  targetPort: number;
  delayMs: number;
  port?: number;
}): Promise<LatencyProxy> {
  const sockets = new Set<net.Socket>();
  const state = { delayMs: opts.delayMs, connections: 0 };
  const server = net.createServer((client) => {
    state.connections++;
    const upstream = net.connect(opts.targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => (client.destroy(), upstream.destroy()));
    }
    // A constant delay per chunk keeps the chunks in order.
    client.on("data", (chunk) => {
      if (state.delayMs <= 0) upstream.write(chunk);
      else setTimeout(() => upstream.write(chunk), state.delayMs);
    });
    client.on("end", () => setTimeout(() => upstream.end(), state.delayMs));
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
