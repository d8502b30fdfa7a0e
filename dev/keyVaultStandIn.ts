/**
 * A local Key Vault secrets API over HTTPS, faithful enough for the real SecretClient:
 * - the 401 challenge (WWW-Authenticate: Bearer authorization=..., resource="https://vault.azure.net")
 *   for every request without a bearer token;
 * - token checks: signature (the identity stand-in's signer), audience, issuer tenant, expiry (401);
 *   per-identity access by object id, "*" or a list of secret names (403 ForbiddenByRbac);
 * - secrets with versions, enabled / nbf / exp attributes, GET of a disabled secret is 403 SecretDisabled;
 * - list paging with maxresults (<= 25) and an opaque $skiptoken in an absolute nextLink;
 * - fault switches: down, 429 + Retry-After, 5xx, slowness.
 * Every request is recorded so tests can count what keyless really sent.
 */
import { randomBytes } from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { applyFault, NO_FAULT, type Fault } from "./faults.js";
import type { TokenSigner } from "./jwt.js";

export interface SeedSecret {
  name: string;
  value: string;
  contentType?: string;
  enabled?: boolean;
  /** Epoch seconds. */
  notBefore?: number;
  expiresOn?: number;
  tags?: Record<string, string>;
}

interface Version {
  version: string;
  value: string;
  contentType?: string;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  tags?: Record<string, string>;
}

export interface VaultRequest {
  method: string;
  /** "get" | "get-version" | "list" | "list-versions" | "set" | "other" */
  op: string;
  name?: string;
  /** Object id of the caller, when the request carried a valid token. */
  caller?: string;
  status: number;
}

export interface KeyVaultStandIn {
  url: string;
  port: number;
  requests: VaultRequest[];
  /** Adds a new version (the latest) of a secret. Returns its version id. */
  setSecret(s: SeedSecret): string;
  /** Grants an identity (by object id) access to every secret ("*") or to the named ones. */
  grant(objectId: string, names: "*" | string[]): void;
  setFault(f: Fault): void;
  /** Rejects (401) every token issued before this moment, as after a key rotation or revocation. */
  revokeTokensIssuedBefore(epochSeconds: number): void;
  close(): Promise<void>;
}

export interface KeyVaultStandInOptions {
  tls: { cert: Buffer; key: Buffer };
  signer: TokenSigner;
  tenantId: string;
  secrets?: SeedSecret[];
  access?: Record<string, "*" | string[]>;
  port?: number;
  /** Address to listen on; 127.0.0.1 unless a container network needs 0.0.0.0. */
  host?: string;
}

const NAME = /^[0-9A-Za-z-]{1,127}$/;
const AUDIENCE = "https://vault.azure.net";
const MAX_PAGE = 25;

export async function startKeyVaultStandIn(opts: KeyVaultStandInOptions): Promise<KeyVaultStandIn> {
  const secrets = new Map<string, { name: string; versions: Version[] }>();
  const access = new Map<string, "*" | Set<string>>();
  const requests: VaultRequest[] = [];
  let fault: Fault = NO_FAULT;
  let revokedBefore = 0;

  const setSecret = (s: SeedSecret): string => {
    const key = s.name.toLowerCase();
    const entry = secrets.get(key) ?? { name: s.name, versions: [] };
    const version = randomBytes(16).toString("hex");
    entry.versions.push({
      version,
      value: s.value,
      ...(s.contentType !== undefined && { contentType: s.contentType }),
      enabled: s.enabled ?? true,
      ...(s.notBefore !== undefined && { nbf: s.notBefore }),
      ...(s.expiresOn !== undefined && { exp: s.expiresOn }),
      ...(s.tags !== undefined && { tags: s.tags }),
      created: Math.floor(Date.now() / 1000),
    });
    secrets.set(key, entry);
    return version;
  };
  for (const s of opts.secrets ?? []) setSecret(s);
  for (const [oid, names] of Object.entries(opts.access ?? {}))
    access.set(oid, names === "*" ? "*" : new Set(names));

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, code: string, message: string, inner?: string) =>
    json(res, status, { error: { code, message, ...(inner && { innererror: { code: inner } }) } });

  const attributes = (v: Version) => ({
    enabled: v.enabled,
    created: v.created,
    updated: v.created,
    ...(v.nbf !== undefined && { nbf: v.nbf }),
    ...(v.exp !== undefined && { exp: v.exp }),
    recoveryLevel: "Recoverable+Purgeable",
    recoverableDays: 90,
  });

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });

  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, async (req, res) => {
    const origin = `https://${req.headers.host ?? "127.0.0.1"}`;
    const url = new URL(req.url ?? "/", origin);
    // ["secrets", name?, version | "versions" | ""?]
    const segs = url.pathname.split("/").slice(1);
    const name = segs[1] !== undefined && segs[1] !== "" ? decodeURIComponent(segs[1]) : undefined;
    const third = segs[2];
    const op =
      segs[0] !== "secrets"
        ? "other"
        : req.method === "PUT"
          ? "set"
          : name === undefined
            ? "list"
            : third === "versions"
              ? "list-versions"
              : third !== undefined && third !== ""
                ? "get-version"
                : "get";
    const entry: VaultRequest = {
      method: req.method ?? "GET",
      op,
      ...(name !== undefined && { name }),
      status: 0,
    };
    requests.push(entry);

    if (
      await applyFault(fault, req, res, (status, code) => ({
        error: { code, message: `stand-in fault ${status}` },
      }))
    ) {
      entry.status = fault.kind === "status" ? fault.status : 0;
      return;
    }

    const auth = req.headers.authorization;
    if (!auth?.startsWith("Bearer ")) {
      await readBody(req);
      entry.status = 401;
      return json(
        res,
        401,
        { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
        {
          "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${opts.tenantId}", resource="${AUDIENCE}"`,
        },
      );
    }
    const claims = opts.signer.verify(auth.slice(7));
    const now = Math.floor(Date.now() / 1000);
    const problem = !claims
      ? "AKV10032: Invalid issuer or signature."
      : claims.aud.replace(/\/$/, "") !== AUDIENCE
        ? "AKV10022: Invalid audience."
        : claims.tid !== opts.tenantId
          ? "AKV10032: Invalid issuer."
          : claims.exp <= now
            ? "AKV10022: Token expired."
            : claims.iat < revokedBefore
              ? "AKV10022: Token was revoked."
              : undefined;
    if (problem || !claims) {
      await readBody(req);
      entry.status = 401;
      return error(res, 401, "Unauthorized", problem ?? "invalid token");
    }
    entry.caller = claims.oid;
    const allowed = (secretName: string) => {
      const a = access.get(claims.oid);
      return (
        a === "*" || (a instanceof Set && [...a].some((n) => n.toLowerCase() === secretName.toLowerCase()))
      );
    };
    const forbidden = (what: string) => {
      entry.status = 403;
      error(
        res,
        403,
        "Forbidden",
        `Caller is not authorized to perform action on resource. Caller: appid=${claims.appid};oid=${claims.oid}; Action: '${what}'`,
        "ForbiddenByRbac",
      );
    };

    if (segs[0] !== "secrets") {
      entry.status = 400;
      return error(res, 400, "BadParameter", "unsupported path");
    }
    if (op === "list" || op === "list-versions") {
      if (op === "list" && !access.get(claims.oid))
        return forbidden("Microsoft.KeyVault/vaults/secrets/readMetadata/action");
      if (op === "list-versions" && !allowed(name!))
        return forbidden("Microsoft.KeyVault/vaults/secrets/readMetadata/action");
      const max = url.searchParams.has("maxresults") ? Number(url.searchParams.get("maxresults")) : MAX_PAGE;
      if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
        entry.status = 400;
        return error(res, 400, "BadParameter", `maxresults must be between 1 and ${MAX_PAGE}`);
      }
      const skip = Number(
        Buffer.from(url.searchParams.get("$skiptoken") ?? "MA", "base64url").toString() || "0",
      );
      let items: { id: string; attributes: unknown; contentType?: string; tags?: unknown }[];
      if (op === "list") {
        items = [...secrets.values()]
          .filter((s) => allowed(s.name))
          .map((s) => {
            const latest = s.versions[s.versions.length - 1]!;
            return {
              id: `${origin}/secrets/${s.name}`,
              attributes: attributes(latest),
              ...(latest.contentType !== undefined && { contentType: latest.contentType }),
              ...(latest.tags !== undefined && { tags: latest.tags }),
            };
          });
      } else {
        const s = secrets.get(name!.toLowerCase());
        items = (s?.versions ?? []).map((v) => ({
          id: `${origin}/secrets/${s!.name}/${v.version}`,
          attributes: attributes(v),
        }));
      }
      const page = items.slice(skip, skip + max);
      const next =
        skip + max < items.length
          ? `${origin}${url.pathname}?api-version=${url.searchParams.get("api-version") ?? ""}&$skiptoken=${Buffer.from(String(skip + max)).toString("base64url")}${url.searchParams.has("maxresults") ? `&maxresults=${max}` : ""}`
          : null;
      entry.status = 200;
      return json(res, 200, { value: page, nextLink: next });
    }
    if (!name || !NAME.test(name)) {
      await readBody(req);
      entry.status = 400;
      return error(res, 400, "BadParameter", "The request URI contains an invalid name");
    }
    if (op === "set") {
      const body = JSON.parse((await readBody(req)) || "{}") as {
        value?: string;
        contentType?: string;
        attributes?: { enabled?: boolean; nbf?: number; exp?: number };
        tags?: Record<string, string>;
      };
      if (!allowed(name)) return forbidden("Microsoft.KeyVault/vaults/secrets/setSecret/action");
      if (typeof body.value !== "string") {
        entry.status = 400;
        return error(res, 400, "BadParameter", "value is required");
      }
      const version = setSecret({
        name,
        value: body.value,
        ...(body.contentType !== undefined && { contentType: body.contentType }),
        ...(body.attributes?.enabled !== undefined && { enabled: body.attributes.enabled }),
        ...(body.attributes?.nbf !== undefined && { notBefore: body.attributes.nbf }),
        ...(body.attributes?.exp !== undefined && { expiresOn: body.attributes.exp }),
        ...(body.tags !== undefined && { tags: body.tags }),
      });
      const v = secrets.get(name.toLowerCase())!.versions.at(-1)!;
      entry.status = 200;
      return json(res, 200, {
        value: v.value,
        id: `${origin}/secrets/${secrets.get(name.toLowerCase())!.name}/${version}`,
        attributes: attributes(v),
        ...(v.contentType !== undefined && { contentType: v.contentType }),
      });
    }
    if (req.method !== "GET") {
      entry.status = 405;
      return error(res, 405, "BadParameter", "method not supported by the stand-in");
    }
    if (!allowed(name)) return forbidden("Microsoft.KeyVault/vaults/secrets/getSecret/action");
    const s = secrets.get(name.toLowerCase());
    const v =
      s &&
      (op === "get-version" ? s.versions.find((x) => x.version === third!.toLowerCase()) : s.versions.at(-1));
    if (!s || !v) {
      entry.status = 404;
      return error(
        res,
        404,
        "SecretNotFound",
        `A secret with (name/id) ${name}${op === "get-version" ? `/${third}` : ""} was not found in this key vault.`,
      );
    }
    if (!v.enabled) {
      entry.status = 403;
      return error(
        res,
        403,
        "Forbidden",
        "Operation get is not allowed on a disabled secret.",
        "SecretDisabled",
      );
    }
    entry.status = 200;
    json(res, 200, {
      value: v.value,
      id: `${origin}/secrets/${s.name}/${v.version}`,
      attributes: attributes(v),
      ...(v.contentType !== undefined && { contentType: v.contentType }),
      ...(v.tags !== undefined && { tags: v.tags }),
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    setSecret,
    grant(oid, names) {
      access.set(oid, names === "*" ? "*" : new Set(names));
    },
    setFault(f) {
      fault = f;
    },
    revokeTokensIssuedBefore(epochSeconds) {
      revokedBefore = epochSeconds;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
