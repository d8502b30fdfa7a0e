/**
 * An HTTPS reverse proxy that can make a real service (Azurite) misbehave: answer the next N requests, or
 * every request, with an error status and an optional Retry-After, before passing requests through again.
 * Used by tests to throttle the Tables backend the way Azure Storage does (503 ServerBusy + Retry-After),
 * and to revoke bearer tokens the way Storage does after Entra ID revoked them (401
 * InvalidAuthenticationInfo with a Bearer challenge), which Azurite itself cannot do. It can also hold
 * each request for a while before passing it on, as a service that far away would.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

export interface FaultPlan {
  status: number;
  retryAfterSeconds?: number;
  /** How many requests to fail; Infinity for all until cleared. */
  count: number;
}

export interface FaultProxy {
  url: string;
  /** Requests answered with a fault since start. */
  faulted: number;
  passed: number;
  /** When each request arrived (epoch ms) and whether it was faulted: tests check waits on these events. */
  log: { at: number; faulted: boolean }[];
  fail(plan: FaultPlan): void;
  clear(): void;
  /** Answers 401 to requests carrying exactly these bearer tokens from now on. */
  revokeTokens(tokens: Iterable<string>): void;
  /** Answers 401 to every bearer token (on), as when the identity lost access, until turned off. */
  refuseAllTokens(on: boolean): void;
  /** Requests refused because of a revoked token. */
  readonly revokedRefusals: number;
  /** Added before each request is passed on (a service that far away); 0 by default, can change any time. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startFaultProxy(opts: {
  target: string;
  tls: { cert: Buffer; key: Buffer };
}): Promise<FaultProxy> {
  const target = new URL(opts.target);
  let plan: FaultPlan | undefined;
  const state = { faulted: 0, passed: 0, revokedRefusals: 0, delayMs: 0 };
  const log: { at: number; faulted: boolean }[] = [];
  const revoked = new Set<string>();
  let refuseAll = false;
  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    const auth = req.headers.authorization;
    if (auth?.startsWith("Bearer ") && (refuseAll || revoked.has(auth.slice(7)))) {
      state.revokedRefusals++;
      log.push({ at: Date.now(), faulted: true });
      req.resume();
      res.writeHead(401, {
        "content-type": "application/json",
        "x-ms-error-code": "InvalidAuthenticationInfo",
        "www-authenticate":
          "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize resource_id=https://storage.azure.com",
      });
      res.end(
        JSON.stringify({
          "odata.error": {
            code: "InvalidAuthenticationInfo",
            message: { lang: "en-US", value: "Server failed to authenticate the request." },
          },
        }),
      );
      return;
    }
    log.push({ at: Date.now(), faulted: plan !== undefined && plan.count > 0 });
    if (plan && plan.count > 0) {
      plan.count--;
      state.faulted++;
      req.resume();
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-ms-error-code": "ServerBusy",
      };
      if (plan.retryAfterSeconds !== undefined) headers["retry-after"] = String(plan.retryAfterSeconds);
      res.writeHead(plan.status, headers);
      res.end(
        JSON.stringify({
          "odata.error": { code: "ServerBusy", message: { lang: "en-US", value: "The server is busy." } },
        }),
      );
      return;
    }
    state.passed++;
    if (state.delayMs > 0) setTimeout(() => forward(req, res), state.delayMs);
    else forward(req, res);
  });
  const forward = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const upstream = (target.protocol === "https:" ? https : http).request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    get faulted() {
      return state.faulted;
    },
    get passed() {
      return state.passed;
    },
    get revokedRefusals() {
      return state.revokedRefusals;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    log,
    revokeTokens(tokens) {
      for (const t of tokens) revoked.add(t);
    },
    refuseAllTokens(on) {
      refuseAll = on;
    },
    fail(p) {
      plan = { ...p };
    },
    clear() {
      plan = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
