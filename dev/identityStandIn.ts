/**
 * A local managed-identity token endpoint speaking the two protocols ManagedIdentityCredential uses:
 * - Container Apps / App Service: GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=..., header
 *   x-identity-header (the SSRF guard), identity by client_id | mi_res_id | object_id | principal_id;
 * - IMDS: GET /metadata/identity/oauth2/token[/]?api-version=2018-02-01, header Metadata: true,
 *   identity by client_id | msi_res_id | object_id.
 * Tokens are JWTs with the claims resources check. Errors are 400s (never 404/410, which make clients
 * retry for a long time). Every request is recorded for tests.
 */
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { applyFault, NO_FAULT, type Fault } from "./faults.js";
import { TokenSigner } from "./jwt.js";

export interface StandInIdentity {
  /** A readable label for logs and doctor output, e.g. "orders-api". */
  name: string;
  clientId: string;
  objectId: string;
  resourceId: string;
  /** The identity answered when no id is given. At most one per stand-in. */
  systemAssigned?: boolean;
}

export interface IdentityRequest {
  protocol: "containerapps" | "imds";
  resource: string;
  identity: string | undefined;
  status: number;
}

export interface IdentityStandIn {
  /** Value for IDENTITY_ENDPOINT. */
  endpoint: string;
  /** Value for IDENTITY_HEADER. */
  header: string;
  /** Value for AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS flavour). */
  imdsHost: string;
  tenantId: string;
  signer: TokenSigner;
  requests: IdentityRequest[];
  /** Every access token issued, so tests can check that none of them ever reaches a log. */
  issued: string[];
  identities: StandInIdentity[];
  setFault(f: Fault): void;
  /** Lifetime of tokens issued from now on (under 5 minutes, MSAL stops caching them). */
  setTokenLifetime(seconds: number): void;
  /** Environment a managed-identity client needs to reach this stand-in (Container Apps flavour). */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export interface IdentityStandInOptions {
  identities: StandInIdentity[];
  tenantId?: string;
  signer?: TokenSigner;
  tokenLifetimeSeconds?: number;
  port?: number;
  /** Address to listen on; 127.0.0.1 unless a container network needs 0.0.0.0. */
  host?: string;
  header?: string;
}

const ACA_PATH = "/msi/token";
const IMDS_PATH = "/metadata/identity/oauth2/token";

export async function startIdentityStandIn(opts: IdentityStandInOptions): Promise<IdentityStandIn> {
  const tenantId = opts.tenantId ?? randomUUID();
  const signer = opts.signer ?? new TokenSigner();
  const secretHeader = opts.header ?? randomBytes(16).toString("hex");
  // Real managed-identity tokens live 24 hours (and MSAL caches them for all of it).
  let lifetime = opts.tokenLifetimeSeconds ?? 86_400;
  const requests: IdentityRequest[] = [];
  const issued: string[] = [];
  let fault: Fault = NO_FAULT;

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  const badRequest = (message: string) => ({ statusCode: 400, message, correlationId: randomUUID() });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const path = url.pathname.replace(/\/$/, "");
    const protocol = path === ACA_PATH ? "containerapps" : path === IMDS_PATH ? "imds" : undefined;
    const q = url.searchParams;
    const record = (status: number, identity?: string) =>
      requests.push({
        protocol: protocol ?? "containerapps",
        resource: q.get("resource") ?? "",
        identity,
        status,
      });

    if (await applyFault(fault, req, res, (status, code) => ({ statusCode: status, message: code }))) {
      record(fault.kind === "status" ? fault.status : 0);
      return;
    }
    if (req.method !== "GET" || protocol === undefined) {
      record(400);
      return send(res, 400, badRequest(`unsupported request ${req.method} ${url.pathname}`));
    }
    if (protocol === "containerapps") {
      if (req.headers["x-identity-header"] !== secretHeader) {
        record(401);
        return send(res, 401, badRequest("missing or wrong X-IDENTITY-HEADER"));
      }
      if (q.get("api-version") !== "2019-08-01") {
        record(400);
        return send(res, 400, badRequest(`unsupported api-version ${q.get("api-version")}`));
      }
    } else {
      if (req.headers["metadata"] !== "true") {
        record(400);
        return send(res, 400, {
          error: "invalid_request",
          error_description: "Required metadata header not specified",
        });
      }
      if (q.get("api-version") !== "2018-02-01") {
        record(400);
        return send(res, 400, { error: "invalid_request", error_description: "unsupported api-version" });
      }
    }
    const resource = (q.get("resource") ?? "").replace(/\/$/, "");
    if (resource === "") {
      record(400);
      return send(res, 400, badRequest("resource is required"));
    }
    const byClient = q.get("client_id");
    const byResource = q.get(protocol === "imds" ? "msi_res_id" : "mi_res_id");
    const byObject = q.get("object_id") ?? q.get("principal_id");
    const given = [byClient, byResource, byObject].filter((v) => v !== null);
    if (given.length > 1) {
      record(400);
      return send(res, 400, badRequest("only one of client_id, mi_res_id, object_id may be given"));
    }
    const label = byClient ?? byResource ?? byObject ?? undefined;
    const identity =
      byClient !== null
        ? opts.identities.find((i) => i.clientId.toLowerCase() === byClient.toLowerCase())
        : byResource !== null
          ? opts.identities.find((i) => i.resourceId.toLowerCase() === byResource.toLowerCase())
          : byObject !== null
            ? opts.identities.find((i) => i.objectId.toLowerCase() === byObject.toLowerCase())
            : opts.identities.find((i) => i.systemAssigned);
    if (!identity) {
      record(400, label);
      return send(
        res,
        400,
        badRequest(
          label === undefined
            ? "No system-assigned managed identity is enabled for this app."
            : "No Managed Identity found for specified ClientId/ResourceId/PrincipalId.",
        ),
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const token = signer.sign({
      aud: resource,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now - 60,
      exp: now + lifetime,
      oid: identity.objectId,
      sub: identity.objectId,
      appid: identity.clientId,
      tid: tenantId,
      xms_mirid: identity.resourceId,
      idtyp: "app",
      // Entra ID gives every token a unique id: two tokens minted in the same second still differ.
      uti: randomUUID(),
    });
    issued.push(token);
    record(200, label ?? "system");
    send(res, 200, {
      access_token: token,
      expires_on: String(now + lifetime),
      resource,
      token_type: "Bearer",
      client_id: identity.clientId,
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    endpoint: `${base}${ACA_PATH}`,
    header: secretHeader,
    imdsHost: base,
    tenantId,
    signer,
    requests,
    issued,
    identities: opts.identities,
    setFault(f) {
      fault = f;
    },
    setTokenLifetime(seconds) {
      lifetime = seconds;
    },
    env() {
      return { IDENTITY_ENDPOINT: `${base}${ACA_PATH}`, IDENTITY_HEADER: secretHeader };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A ready-made identity with fresh ids, for tests and seeds. */
export function makeIdentity(name: string, extra: Partial<StandInIdentity> = {}): StandInIdentity {
  const clientId = randomUUID();
  return {
    name,
    clientId,
    objectId: randomUUID(),
    resourceId: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
    ...extra,
  };
}
