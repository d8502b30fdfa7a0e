/**
 * The one place that reads an Azure SDK, MSAL, @azure/identity or Node network failure and turns it into
 * plain facts: status, the service's own error code, the socket errno, whether it may pass by itself,
 * how long the service asked us to wait, and whether a missing role assignment is the likely cause.
 * Callers (the Key Vault source, the Tables backend, identity) build their messages from these facts
 * through the error catalog; none of them reads an SDK error directly. Free-text messages of SDK errors
 * are never read here: they can echo URLs with query strings (SAS) or request details.
 */
import { isRestError, type RestError } from "@azure/core-rest-pipeline";

export { failureSummary, type AzureFailure, type FailureKind } from "./azureFailureFacts.js";
import type { AzureFailure } from "./azureFailureFacts.js";
import { causeChain } from "./causeChain.js";

const NETWORK_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** 403s that are not about permissions: the secret itself is unreadable by design. */
const NOT_A_ROLE_PROBLEM = new Set(["SecretDisabled"]);
/** A property of an unknown value, read without asserting its type. */
function prop(o: unknown, k: string): unknown {
  return typeof o === "object" && o !== null ? Reflect.get(o, k) : undefined;
}
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Retry-After in seconds or as an HTTP date, or the services' millisecond headers. */
export function retryAfterFrom(
  headers: { get(name: string): string | undefined },
  now = Date.now(),
): number | undefined {
  for (const h of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const ms = Number(headers.get(h));
    if (Number.isFinite(ms) && ms > 0) return ms;
  }
  const raw = headers.get("retry-after");
  if (raw === undefined || raw === "") return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : undefined;
  const at = Date.parse(raw);
  return Number.isFinite(at) && at > now ? at - now : undefined;
}

/** `Bearer ..., error="insufficient_claims", claims="<base64>"` -> the decoded claims. */
export function claimsChallengeFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const params = new Map<string, string>();
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!);
  const claims = params.get("claims");
  if (params.get("error") !== "insufficient_claims" || !claims) return undefined;
  try {
    return Buffer.from(claims, "base64").toString("utf8");
  } catch {
    return undefined;
  }
}

function serviceCodeOf(e: RestError): string | undefined {
  const details = e.details;
  return (
    // Key Vault: {error: {code, innerError: {code}}}; the inner code is the precise one (SecretDisabled).
    str(prop(prop(prop(details, "error"), "innerError"), "code")) ??
    // Tables: {errorCode} (and odata.error.code), storage: {errorCode}.
    str(prop(details, "errorCode")) ??
    str(prop(prop(details, "error"), "code")) ??
    str(e.response?.headers.get("x-ms-error-code")) ??
    // Without a response, RestError.code is the send failure (an errno or REQUEST_SEND_ERROR), not a service code.
    (e.statusCode !== undefined ? str(e.code) : undefined)
  );
}

export function describeAzureFailure(e: unknown, now = Date.now()): AzureFailure {
  const out: AzureFailure = { kind: "unknown", transient: false, missingRoleHint: false };
  if (e instanceof Error) out.errorName = e.name;
  for (const cur of causeChain(e)) {
    if (isRestError(cur)) {
      if (out.status === undefined && cur.statusCode !== undefined) {
        out.status = cur.statusCode;
        const code = out.serviceCode ?? serviceCodeOf(cur);
        if (code !== undefined) out.serviceCode = code;
        const headers = cur.response?.headers;
        if (headers) {
          const ra = retryAfterFrom(headers, now);
          if (ra !== undefined) out.retryAfterMs = ra;
          const claims = claimsChallengeFrom(headers.get("www-authenticate"));
          if (claims !== undefined) out.claims = claims;
        }
      }
    }
    // @azure/identity's AuthenticationError and MSAL's errors carry the status under these names.
    for (const k of ["statusCode", "status", "httpStatusCode"] as const) {
      const s = num(prop(cur, k));
      if (out.status === undefined && s !== undefined && s >= 100 && s < 600) out.status = s;
    }
    const code = str(prop(cur, "code"));
    if (out.errno === undefined && code !== undefined && NETWORK_ERRNOS.has(code)) out.errno = code;
    // core-rest-pipeline's and MSAL's names for "the request never got an answer".
    if (code === "REQUEST_SEND_ERROR" || prop(cur, "errorCode") === "network_error") out.kind = "network";
    const name = str(prop(cur, "name"));
    if (name === "AbortError" || name === "TimeoutError") out.kind = "timeout";
    if (name === "CredentialUnavailableError" && out.kind === "unknown") out.kind = "credential";
  }
  if (out.kind !== "timeout") {
    if (out.status !== undefined) out.kind = "http";
    else if (out.errno !== undefined) out.kind = "network";
  }
  out.transient =
    out.kind === "network" ||
    out.kind === "timeout" ||
    (out.kind === "http" && out.status !== undefined && TRANSIENT_STATUS.has(out.status));
  out.missingRoleHint =
    out.status === 403 && !(out.serviceCode !== undefined && NOT_A_ROLE_PROBLEM.has(out.serviceCode));
  return out;
}
