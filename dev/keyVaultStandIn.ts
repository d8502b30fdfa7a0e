/**
 * A local Key Vault secrets API over HTTPS, faithful enough for the real SecretClient:
 * - the 401 challenge (WWW-Authenticate: Bearer authorization=..., resource="https://vault.azure.net")
 *   for every request without a bearer token;
 * - token checks (keyVault/tokenCheck.ts): signature, audience, issuer tenant, expiry, revocation, and
 *   claims challenges (`error="insufficient_claims"`) for revoked tokens, as CAE-enabled services send;
 * - per-identity access by object id, "*" or a list of secret names (403 ForbiddenByRbac);
 * - secrets with versions, enabled / nbf / exp attributes (keyVault/vaultSecrets.ts); GET of a disabled
 *   secret is 403 SecretDisabled;
 * - list paging with maxresults (<= 25) and an opaque $skiptoken in an absolute nextLink;
 * - fault switches: down, 429 + Retry-After, 5xx, slowness, for every request or only for the GETs of
 *   some secrets (a listing that works while reads fail).
 * Every request is recorded so tests can count what keyless really sent.
 */
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { applyFault, NO_FAULT, type Fault } from "./faults.js";
import type { TokenSigner } from "./jwt.js";
import { MAX_PAGE, page, secretItems, versionItems } from "./keyVault/listing.js";
import { TokenCheck } from "./keyVault/tokenCheck.js";
import { attributes, VaultSecrets, type SeedSecret } from "./keyVault/vaultSecrets.js";

export type { SeedSecret } from "./keyVault/vaultSecrets.js";

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
  /** A fault for the GETs of the named secrets only (every secret when names is omitted); lists still work. */
  setGetFault(f: Fault, names?: string[]): void;
  /** Rejects (401) every token issued before this moment, as after a key rotation or revocation. */
  revokeTokensIssuedBefore(epochSeconds: number): void;
  /**
   * Rejects exactly these tokens from now on: with a plain 401, or, given `claims`, with a claims
   * challenge asking for a new token carrying those claims.
   */
  revokeTokens(tokens: Iterable<string>, claims?: string): void;
  /** How many claims challenges were sent. */
  readonly claimsChallengesSent: number;
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

function opOf(method: string | undefined, segs: string[], name: string | undefined): string {
  if (segs[0] !== "secrets") return "other";
  if (method === "PUT") return "set";
  if (name === undefined) return "list";
  const third = segs[2];
  if (third === "versions") return "list-versions";
  return third !== undefined && third !== "" ? "get-version" : "get";
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
};
const error = (
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  inner?: string,
  headers: Record<string, string> = {},
) => json(res, status, { error: { code, message, ...(inner && { innererror: { code: inner } }) } }, headers);

export async function startKeyVaultStandIn(opts: KeyVaultStandInOptions): Promise<KeyVaultStandIn> {
  const vault = new VaultSecrets();
  const tokens = new TokenCheck(opts.signer, opts.tenantId);
  const requests: VaultRequest[] = [];
  let fault: Fault = NO_FAULT;
  let getFault: { fault: Fault; names?: Set<string> } = { fault: NO_FAULT };
  for (const s of opts.secrets ?? []) vault.set(s);
  for (const [oid, names] of Object.entries(opts.access ?? {})) vault.grant(oid, names);

  const faultBody = (status: number, code: string) => ({
    error: { code, message: `stand-in fault ${status}` },
  });

  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, async (req, res) => {
    const origin = `https://${req.headers.host ?? "127.0.0.1"}`;
    const url = new URL(req.url ?? "/", origin);
    // ["secrets", name?, version | "versions" | ""?]
    const segs = url.pathname.split("/").slice(1);
    const name = segs[1] !== undefined && segs[1] !== "" ? decodeURIComponent(segs[1]) : undefined;
    const op = opOf(req.method, segs, name);
    const entry: VaultRequest = {
      method: req.method ?? "GET",
      op,
      ...(name !== undefined && { name }),
      status: 0,
    };
    requests.push(entry);

    if (await applyFault(fault, req, res, faultBody)) {
      entry.status = fault.kind === "status" ? fault.status : 0;
      return;
    }
    const auth = req.headers.authorization;
    if (!auth?.startsWith("Bearer ")) {
      await readBody(req);
      entry.status = 401;
      return error(
        res,
        401,
        "Unauthorized",
        "AKV10000: Request is missing a Bearer or PoP token.",
        undefined,
        {
          "www-authenticate": tokens.bearerChallenge(),
        },
      );
    }
    const verdict = tokens.check(auth.slice(7));
    if (!verdict.ok) {
      await readBody(req);
      entry.status = 401;
      return error(res, 401, "Unauthorized", verdict.problem, undefined, {
        ...(verdict.challenge && { "www-authenticate": verdict.challenge }),
      });
    }
    const claims = verdict.claims;
    entry.caller = claims.oid;
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
      if (op === "list" && !vault.hasAnyAccess(claims.oid))
        return forbidden("Microsoft.KeyVault/vaults/secrets/readMetadata/action");
      if (op === "list-versions" && !vault.allowed(claims.oid, name!))
        return forbidden("Microsoft.KeyVault/vaults/secrets/readMetadata/action");
      const max = url.searchParams.has("maxresults") ? Number(url.searchParams.get("maxresults")) : MAX_PAGE;
      if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
        entry.status = 400;
        return error(res, 400, "BadParameter", `maxresults must be between 1 and ${MAX_PAGE}`);
      }
      const items =
        op === "list"
          ? secretItems(
              origin,
              vault.all().filter((s) => vault.allowed(claims.oid, s.name)),
            )
          : versionItems(origin, vault.get(name!));
      entry.status = 200;
      return json(res, 200, page(origin, url, items, max));
    }
    if (!name || !NAME.test(name)) {
      await readBody(req);
      entry.status = 400;
      return error(res, 400, "BadParameter", "The request URI contains an invalid name");
    }
    if (op === "set")
      return setFromBody(
        req,
        res,
        name,
        entry,
        origin,
        () => forbidden("Microsoft.KeyVault/vaults/secrets/setSecret/action"),
        claims.oid,
      );
    if (req.method !== "GET") {
      entry.status = 405;
      return error(res, 405, "BadParameter", "method not supported by the stand-in");
    }
    if (!vault.allowed(claims.oid, name))
      return forbidden("Microsoft.KeyVault/vaults/secrets/getSecret/action");
    if (!getFault.names || getFault.names.has(name.toLowerCase())) {
      if (await applyFault(getFault.fault, req, res, faultBody)) {
        entry.status = getFault.fault.kind === "status" ? getFault.fault.status : 0;
        return;
      }
    }
    const s = vault.get(name);
    const third = segs[2];
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

  async function setFromBody(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    entry: VaultRequest,
    origin: string,
    forbidden: () => void,
    caller: string,
  ) {
    const body = JSON.parse((await readBody(req)) || "{}") as {
      value?: string;
      contentType?: string;
      attributes?: { enabled?: boolean; nbf?: number; exp?: number };
      tags?: Record<string, string>;
    };
    if (!vault.allowed(caller, name)) return forbidden();
    if (typeof body.value !== "string") {
      entry.status = 400;
      return error(res, 400, "BadParameter", "value is required");
    }
    const version = vault.set({
      name,
      value: body.value,
      ...(body.contentType !== undefined && { contentType: body.contentType }),
      ...(body.attributes?.enabled !== undefined && { enabled: body.attributes.enabled }),
      ...(body.attributes?.nbf !== undefined && { notBefore: body.attributes.nbf }),
      ...(body.attributes?.exp !== undefined && { expiresOn: body.attributes.exp }),
      ...(body.tags !== undefined && { tags: body.tags }),
    });
    const stored = vault.get(name)!;
    const v = stored.versions.at(-1)!;
    entry.status = 200;
    return json(res, 200, {
      value: v.value,
      id: `${origin}/secrets/${stored.name}/${version}`,
      attributes: attributes(v),
      ...(v.contentType !== undefined && { contentType: v.contentType }),
    });
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    setSecret: (s) => vault.set(s),
    grant: (oid, names) => vault.grant(oid, names),
    setFault(f) {
      fault = f;
    },
    setGetFault(f, names) {
      getFault = { fault: f, ...(names && { names: new Set(names.map((n) => n.toLowerCase())) }) };
    },
    revokeTokensIssuedBefore: (epochSeconds) => tokens.revokeIssuedBefore(epochSeconds),
    revokeTokens: (list, claims) => tokens.revoke(list, claims),
    get claimsChallengesSent() {
      return tokens.challengesSent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
