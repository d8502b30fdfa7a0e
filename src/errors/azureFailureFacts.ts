/**
 * The plain facts of an Azure failure (what errors/azureFailure.ts reads from SDK errors) and their short
 * wording for messages. Kept apart from the reader so that the error catalog, which every request path
 * loads at start-up, does not pull in the Azure SDK's HTTP pipeline.
 */
export type FailureKind = "http" | "network" | "timeout" | "credential" | "unknown";

export interface AzureFailure {
  kind: FailureKind;
  /** HTTP status the service (or identity endpoint) answered. */
  status?: number;
  /** The service's own error code, e.g. `TableNotFound`, `SecretDisabled`, `ResourceNotFound`. */
  serviceCode?: string;
  /** Node's socket error code, e.g. `ECONNREFUSED`. */
  errno?: string;
  /** The failure may pass by itself (outage, throttling, timeout): caches may serve stale values. */
  transient: boolean;
  /** The service asked for this wait before the next call (Retry-After and its millisecond variants). */
  retryAfterMs?: number;
  /** A 403 that a role assignment (or access policy) would fix. */
  missingRoleHint: boolean;
  /** Decoded claims of a `WWW-Authenticate: Bearer error="insufficient_claims", claims="..."` challenge. */
  claims?: string;
  /** The error's class name (`RestError`, `AuthenticationError`, `TypeError`, …), for logs. */
  errorName?: string;
}

/** "HTTP 404 TableNotFound", "ECONNREFUSED", "a timeout": the facts in a few words for messages. */
export function failureSummary(f: AzureFailure): string {
  if (f.kind === "timeout") return "no answer in time";
  if (f.kind === "http") return `HTTP ${f.status}${f.serviceCode ? ` ${f.serviceCode}` : ""}`;
  if (f.kind === "network") return f.errno ?? "network error";
  return f.errorName ?? "unknown error";
}
