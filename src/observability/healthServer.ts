/**
 * The operations listener: GET /metrics (Prometheus text), /healthz and /readyz, on plain HTTP. Nothing
 * here reads request bodies or echoes input; answers carry counts, codes and names only.
 */
import http from "node:http";
import type { ReadinessReport } from "./readiness.js";

export interface OpsHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Whether keyless still serves its socket. */
  serving(): Promise<boolean>;
  readiness(): Promise<ReadinessReport>;
}

export interface OpsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(
  handlers: OpsHandlers,
  where: { address: string; port: number },
): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    void answer(handlers, req.method ?? "GET", (req.url ?? "/").split("?")[0]!, res);
  });
  // A probe or scrape never holds keyless open at shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(where.port, where.address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  const bound = server.address();
  return {
    address: where.address,
    port: typeof bound === "object" && bound ? bound.port : where.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(h: OpsHandlers, method: string, path: string, res: http.ServerResponse) {
  const send = (status: number, contentType: string, body: string) => {
    res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
    res.end(method === "HEAD" ? undefined : body);
  };
  const text = "text/plain; charset=utf-8";
  if (method !== "GET" && method !== "HEAD") return send(405, text, "method not allowed\n");
  try {
    switch (path) {
      case "/metrics": {
        const m = await h.metrics();
        return send(200, m.contentType, m.body);
      }
      case "/healthz":
        return (await h.serving())
          ? send(200, text, "ok: serving the socket\n")
          : send(503, text, "not serving: the socket is gone\n");
      case "/readyz": {
        const r = await h.readiness();
        return r.ready
          ? send(200, text, "ready\n")
          : send(503, text, `not ready:\n${r.reasons.map((x) => `- ${x}`).join("\n")}\n`);
      }
      default:
        return send(404, text, "not found: try /metrics, /healthz or /readyz\n");
    }
  } catch {
    return send(500, text, "internal error\n");
  }
}
