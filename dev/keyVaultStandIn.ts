/**
 * A local Key Vault secrets API over HTTPS, faithful enough for the real SecretClient:
 * - the 401 challenge (WWW-Authenticate: Bearer authorization=..., resource="https://vault.azure.net")
 *   for every request without a bearer token;
 * - token checks (keyVault/tokenCheck.ts): signature, audience, issuer tenant, expiry, revocation, and
 *   claims challenges (`error="insufficient_claims"`) for revoked tokens, as CAE-enabled services send;
 * - per-identity access by object id: "*", a list of secret names, or "metadata" (lists every secret,
 *   reads none, like the Key Vault Reader role); anything else is 403 ForbiddenByRbac;
 * - secrets with versions, enabled / nbf / exp attributes (keyVault/vaultSecrets.ts); GET of a disabled
 *   secret is 403 SecretDisabled;
 * - list paging with maxresults (<= 25) and an opaque $skiptoken in an absolute nextLink;
 * - fault switches: down, 429 + Retry-After, 5xx, slowness, for every request or only for the GETs of
 *   some secrets (a listing that works while reads fail).
 * Every request is recorded so tests can count what keyless really sent.
 */
import https from "node:https";
import type { AddressInfo } from "node:net";
import { NO_FAULT, type Fault } from "./faults.js";
import type { TokenSigner } from "./jwt.js";
import {
  checkName,
  serveGet,
  serveList,
  serveSet,
  VaultCall,
  type VaultRequest,
} from "./keyVault/handlers.js";
import { TokenCheck } from "./keyVault/tokenCheck.js";
import { VaultSecrets, type SeedSecret, type VaultAccess } from "./keyVault/vaultSecrets.js";

export type { SeedSecret, VaultAccess } from "./keyVault/vaultSecrets.js";
export type { VaultRequest } from "./keyVault/handlers.js";

export interface KeyVaultStandIn {
  url: string;
  port: number;
  requests: VaultRequest[];
  /** Adds a new version (the latest) of a secret. Returns its version id. */
  setSecret(s: SeedSecret): string;
  /** Grants an identity (by object id) access to every secret ("*"), the named ones, or metadata only. */
  grant(objectId: string, names: VaultAccess): void;
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
  access?: Record<string, VaultAccess>;
  port?: number;
  /** Address to listen on; 127.0.0.1 unless a container network needs 0.0.0.0. */
  host?: string;
}

export async function startKeyVaultStandIn(opts: KeyVaultStandInOptions): Promise<KeyVaultStandIn> {
  const vault = new VaultSecrets();
  const tokens = new TokenCheck(opts.signer, opts.tenantId);
  const requests: VaultRequest[] = [];
  let fault: Fault = NO_FAULT;
  let getFault: { fault: Fault; names?: Set<string> } = { fault: NO_FAULT };
  for (const s of opts.secrets ?? []) vault.set(s);
  for (const [oid, names] of Object.entries(opts.access ?? {})) vault.grant(oid, names);

  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, async (req, res) => {
    const call = new VaultCall(req, res);
    requests.push(call.entry);
    if (await call.fault(fault)) return;
    if (!(await authenticate(call))) return;
    if (call.segs[0] !== "secrets") return call.error(400, "BadParameter", "unsupported path");
    if (call.op === "list" || call.op === "list-versions") return serveList(vault, call);
    const name = await checkName(call);
    if (name === undefined) return;
    if (call.op === "set") return serveSet(vault, call, name);
    if (req.method !== "GET") return call.error(405, "BadParameter", "method not supported by the stand-in");
    const f = !getFault.names || getFault.names.has(name.toLowerCase()) ? getFault.fault : NO_FAULT;
    return serveGet(vault, call, name, f);
  });

  /** The bearer token's checks; answers the 401 itself and returns false when the token is refused. */
  async function authenticate(call: VaultCall): Promise<boolean> {
    const auth = call.req.headers.authorization;
    if (!auth?.startsWith("Bearer ")) {
      await call.body();
      call.error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", undefined, {
        "www-authenticate": tokens.bearerChallenge(),
      });
      return false;
    }
    const verdict = tokens.check(auth.slice(7));
    if (!verdict.ok) {
      await call.body();
      call.error(401, "Unauthorized", verdict.problem, undefined, {
        ...(verdict.challenge && { "www-authenticate": verdict.challenge }),
      });
      return false;
    }
    call.caller = verdict.claims;
    call.entry.caller = verdict.claims.oid;
    return true;
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
