/**
 * The one error type that crosses module boundaries. Callers branch on `code`, never on `instanceof`
 * across packages, and the gRPC layer maps codes to statuses in one place (server/toStatus.ts).
 * Messages are written for operators: they name the instance, the source and the identity involved,
 * and never contain a secret value, a token or a state value.
 */
export type ErrorCode =
  | "INSTANCE_HEADER_MISSING"
  | "INSTANCE_HEADER_CONFLICT"
  | "INSTANCE_UNKNOWN"
  | "INSTANCE_RESTORE_FAILED"
  | "INSTANCE_IN_USE"
  | "METADATA_INVALID"
  | "KEY_INVALID"
  | "VALUE_TOO_LARGE"
  | "TTL_INVALID"
  | "ETAG_MISMATCH"
  | "ETAG_INVALID"
  | "REQUEST_INVALID"
  | "TRANSACTION_TOO_LARGE"
  | "SECRET_NOT_FOUND"
  | "SECRET_NAME_INVALID"
  | "SOURCE_FAILED"
  | "SECRET_NOT_ALLOWED"
  | "IDENTITY_UNKNOWN"
  | "IDENTITY_UNREACHABLE"
  | "IDENTITY_FAILED"
  | "BACKEND_FAILED"
  | "INTERNAL";

export interface KeylessErrorOptions {
  cause?: unknown;
  key?: string;
  /** The failure may go away by itself (throttling, outage, timeout): caches may serve stale values. */
  transient?: boolean;
  /** The dependency asked us to wait this long before calling again (Retry-After). */
  retryAfterMs?: number;
  /** Why it failed, without the instance or the item it failed for (so it can be repeated for another). */
  reason?: string;
  /** What the operator should do about it (a role to grant, a command to run); `keyless doctor` prints it. */
  fix?: string;
}

export class KeylessError extends Error {
  readonly code: ErrorCode;
  /** For ETag errors: the key the check failed on, so bulk callers can say which item failed. */
  readonly key?: string;
  readonly transient: boolean;
  readonly retryAfterMs?: number;
  readonly reason?: string;
  readonly fix?: string;

  constructor(code: ErrorCode, message: string, options?: KeylessErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KeylessError";
    this.code = code;
    this.transient = options?.transient ?? false;
    if (options?.key !== undefined) this.key = options.key;
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options?.reason !== undefined) this.reason = options.reason;
    if (options?.fix !== undefined) this.fix = options.fix;
  }
}

export function isKeylessError(e: unknown): e is KeylessError {
  return (
    e instanceof Error && typeof (e as { code?: unknown }).code === "string" && e.name === "KeylessError"
  );
}
