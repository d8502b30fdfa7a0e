/**
 * Turns a failed token request into a KeylessError that says which identity was tried and what went
 * wrong: unknown to the endpoint, endpoint unreachable, or another refusal. Classified by HTTP status and
 * errno found on the error or its causes, not by searching message text; the raw message (which can
 * echo request details) is never passed on.
 */
import { isKeylessError, KeylessError } from "../errors/keylessError.js";
import { describeIdentity, type IdentitySpec } from "./identitySpec.js";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EPIPE",
]);

interface Facts {
  status?: number;
  errno?: string;
  network: boolean;
}

function facts(e: unknown): Facts {
  const out: Facts = { network: false };
  const seen = new Set<unknown>();
  let cur: unknown = e;
  for (let depth = 0; cur && typeof cur === "object" && !seen.has(cur) && depth < 8; depth++) {
    seen.add(cur);
    const o = cur as {
      code?: unknown;
      errorCode?: unknown;
      statusCode?: unknown;
      status?: unknown;
      httpStatusCode?: unknown;
      name?: unknown;
      cause?: unknown;
    };
    for (const s of [o.statusCode, o.status, o.httpStatusCode]) {
      if (out.status === undefined && typeof s === "number" && s >= 100) out.status = s;
    }
    if (typeof o.code === "string" && NETWORK_CODES.has(o.code)) {
      out.errno = o.code;
      out.network = true;
    }
    // core-rest-pipeline and MSAL's own names for "the request never got an answer".
    if (o.code === "REQUEST_SEND_ERROR" || o.errorCode === "network_error") out.network = true;
    cur = o.cause;
  }
  return out;
}

export function classifyTokenError(spec: IdentitySpec, scope: string, e: unknown): KeylessError {
  // Credentials that classify their own failures (workload identity) pass them on as they are.
  if (isKeylessError(e)) return e;
  const who = describeIdentity(spec);
  const f = facts(e);
  const name = (e as { name?: string })?.name ?? "";
  if (f.network) {
    return new KeylessError(
      "IDENTITY_UNREACHABLE",
      `token for ${scope} via ${who}: the identity endpoint is unreachable${f.errno ? ` (${f.errno})` : ""}; ` +
        `check that managed identity is enabled for this app (IDENTITY_ENDPOINT / IMDS)`,
      { cause: e },
    );
  }
  // Managed-identity endpoints answer 400 for an identity that is not assigned to this app.
  if (f.status === 400) {
    return new KeylessError(
      "IDENTITY_UNKNOWN",
      `token for ${scope} via ${who}: the identity endpoint does not know this identity; ` +
        `check that it is assigned to this app and that the id in the component metadata is right`,
      { cause: e },
    );
  }
  return new KeylessError(
    "IDENTITY_FAILED",
    `token for ${scope} via ${who} failed${f.status ? ` (HTTP ${f.status})` : ""}${name ? ` [${name}]` : ""}`,
    { cause: e },
  );
}
