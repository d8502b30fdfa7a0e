/**
 * A local Microsoft Entra ID authority over HTTPS (AZURE_AUTHORITY_HOST) for workload identity, faithful
 * enough for MSAL Node under @azure/identity's WorkloadIdentityCredential and ClientAssertionCredential:
 * - instance metadata: GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...
 * - OpenID configuration: GET /{tenant}/v2.0/.well-known/openid-configuration (400 AADSTS90002 for
 *   another tenant, as Entra answers);
 * - token endpoint: POST /{tenant}/oauth2/v2.0/token, client-credentials grant with a client assertion,
 *   judged against the application's federated identity credentials (see entraAssertion.ts);
 * - access tokens minted with the identity stand-in's signer and claims (v1 issuer sts.windows.net), so
 *   the Key Vault stand-in and Azurite accept them; 24-hour lifetime unless told otherwise;
 * - errors in Entra's shape with AADSTS codes (entraErrors.ts).
 * Every request is recorded (never the assertion or the token itself) so tests can see what was sent.
 */
import { randomUUID } from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { judgeAssertion, type FederatedCredential, type TrustedIssuer } from "./entraAssertion.js";
import { entraErrorBody, entraErrors, type EntraError } from "./entraErrors.js";
import { applyFault, NO_FAULT, type Fault } from "./faults.js";
import type { StandInIdentity } from "./identityStandIn.js";
import { TokenSigner } from "./jwt.js";

export type { FederatedCredential, TrustedIssuer } from "./entraAssertion.js";

/** An application (or user-assigned managed identity) with its federated identity credentials. */
export interface EntraApplication extends StandInIdentity {
  federatedCredentials: FederatedCredential[];
}

export interface EntraRequest {
  kind: "instance-discovery" | "openid-configuration" | "keys" | "token" | "other";
  tenant?: string;
  clientId?: string;
  scope?: string;
  /** Subject and jti of the presented assertion. */
  subject?: string;
  assertionId?: string;
  status: number;
  /** The AADSTS number of an error answer. */
  aadsts?: number;
}

export interface EntraStandIn {
  /** Value for AZURE_AUTHORITY_HOST. */
  authorityHost: string;
  tenantId: string;
  signer: TokenSigner;
  requests: EntraRequest[];
  /** Every access token issued, so tests can check that none of them ever reaches a log. */
  issued: string[];
  applications: EntraApplication[];
  /** Lifetime of access tokens issued from now on. */
  setTokenLifetime(seconds: number): void;
  setFault(f: Fault): void;
  /** AZURE_AUTHORITY_HOST and AZURE_TENANT_ID, as the workload identity webhook sets them. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export interface EntraStandInOptions {
  tls: { cert: Buffer; key: Buffer };
  applications: EntraApplication[];
  /** Token issuers Entra trusts, with their public keys (e.g. the cluster's OIDC issuer). */
  issuers: TrustedIssuer[];
  tenantId?: string;
  /** Share the identity stand-in's signer so the Key Vault stand-in accepts these tokens. */
  signer?: TokenSigner;
  /** Production value: 24 hours. */
  tokenLifetimeSeconds?: number;
  now?: () => number;
  port?: number;
  host?: string;
}

const TOKEN_LIFETIME_SECONDS = 24 * 3600;
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function openIdConfiguration(base: string, tenant: string) {
  const t = `${base}/${tenant}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    tenant_region_scope: null,
    cloud_instance_name: "keyless.test",
  };
}

export async function startEntraStandIn(opts: EntraStandInOptions): Promise<EntraStandIn> {
  const tenantId = opts.tenantId ?? randomUUID();
  const signer = opts.signer ?? new TokenSigner();
  const now = opts.now ?? Date.now;
  let lifetime = opts.tokenLifetimeSeconds ?? TOKEN_LIFETIME_SECONDS;
  let fault: Fault = NO_FAULT;
  const requests: EntraRequest[] = [];
  const issued: string[] = [];
  let base = "";

  const fail = (req: IncomingMessage, res: ServerResponse, entry: EntraRequest, e: EntraError) => {
    entry.status = e.status;
    entry.aadsts = e.code;
    const correlation = req.headers["client-request-id"];
    sendJson(
      res,
      e.status,
      entraErrorBody(e, typeof correlation === "string" ? correlation : undefined, new Date(now())),
    );
  };

  const token = async (req: IncomingMessage, res: ServerResponse, entry: EntraRequest) => {
    const form = new URLSearchParams(await readBody(req));
    const clientId = form.get("client_id") ?? "";
    const scope = form.get("scope") ?? "";
    entry.clientId = clientId;
    entry.scope = scope;
    const grant = form.get("grant_type") ?? "";
    if (grant !== "client_credentials") return fail(req, res, entry, entraErrors.unsupportedGrant(grant));
    const assertion = form.get("client_assertion");
    if (!assertion || form.get("client_assertion_type") !== JWT_BEARER)
      return fail(req, res, entry, entraErrors.badAssertionType());
    const scopes = scope.split(" ").filter((s) => s && !OIDC_SCOPES.has(s));
    if (scopes.length !== 1 || !scopes[0]!.endsWith("/.default"))
      return fail(req, res, entry, entraErrors.badScope(scope));
    const app = opts.applications.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
    if (!app) return fail(req, res, entry, entraErrors.applicationNotFound(clientId, tenantId));
    const verdict = await judgeAssertion(assertion, app.federatedCredentials, opts.issuers, now());
    if (verdict.subject !== undefined) entry.subject = verdict.subject;
    if (verdict.id !== undefined) entry.assertionId = verdict.id;
    if (!verdict.ok) return fail(req, res, entry, verdict.error);
    const resource = scopes[0]!.slice(0, -"/.default".length);
    const iat = Math.floor(now() / 1000);
    const accessToken = signer.sign({
      aud: resource,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat,
      nbf: iat - 300,
      exp: iat + lifetime,
      oid: app.objectId,
      sub: app.objectId,
      appid: app.clientId,
      tid: tenantId,
      xms_mirid: app.resourceId,
      idtyp: "app",
    });
    issued.push(accessToken);
    entry.status = 200;
    sendJson(res, 200, {
      token_type: "Bearer",
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
    });
  };

  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, async (req, res) => {
    const url = new URL(req.url ?? "/", base);
    const segs = url.pathname.split("/").filter(Boolean);
    const entry: EntraRequest = { kind: "other", status: 0 };
    requests.push(entry);
    if (
      await applyFault(fault, req, res, (status, code) => ({ error: code, error_description: `${status}` }))
    ) {
      entry.status = fault.kind === "status" ? fault.status : 0;
      return;
    }
    const tenant = segs[0] ?? "";
    const rest = segs.slice(1).join("/");
    if (req.method === "GET" && rest === "discovery/instance") {
      entry.kind = "instance-discovery";
      entry.status = 200;
      return sendJson(res, 200, instanceMetadata(url));
    }
    entry.tenant = tenant;
    const knownTenant = tenant.toLowerCase() === tenantId.toLowerCase();
    if (req.method === "GET" && /^(v2\.0\/)?\.well-known\/openid-configuration$/.test(rest)) {
      entry.kind = "openid-configuration";
      if (!knownTenant) return fail(req, res, entry, entraErrors.tenantNotFound(tenant));
      entry.status = 200;
      return sendJson(res, 200, openIdConfiguration(base, tenantId));
    }
    if (req.method === "GET" && rest === "discovery/v2.0/keys") {
      entry.kind = "keys";
      entry.status = 200;
      // Access tokens here are HMAC-signed with the stand-ins' shared key: no public keys to publish.
      return sendJson(res, 200, { keys: [] });
    }
    if (req.method === "POST" && rest === "oauth2/v2.0/token") {
      entry.kind = "token";
      if (!knownTenant) {
        await readBody(req);
        return fail(req, res, entry, entraErrors.tenantNotFound(tenant));
      }
      return token(req, res, entry);
    }
    entry.status = 404;
    sendJson(res, 404, { error: "not_found", error_description: `no such endpoint ${url.pathname}` });
  });

  /** Vouches for the authority named in authorization_endpoint, as Entra does for its own hosts. */
  function instanceMetadata(url: URL) {
    const authz = url.searchParams.get("authorization_endpoint") ?? `${base}/common/oauth2/v2.0/authorize`;
    const host = new URL(authz).host;
    const tenant = new URL(authz).pathname.split("/").filter(Boolean)[0] ?? "common";
    return {
      tenant_discovery_endpoint: `https://${host}/${tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `https://127.0.0.1:${port}`;
  return {
    authorityHost: base,
    tenantId,
    signer,
    requests,
    issued,
    applications: opts.applications,
    setTokenLifetime(seconds) {
      lifetime = seconds;
    },
    setFault(f) {
      fault = f;
    },
    env: () => ({ AZURE_AUTHORITY_HOST: base, AZURE_TENANT_ID: tenantId }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
