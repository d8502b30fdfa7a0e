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
  | "BACKEND_FAILED"
  | "INTERNAL";

export class KeylessError extends Error {
  readonly code: ErrorCode;
  /** For ETag errors: the key the check failed on, so bulk callers can say which item failed. */
  readonly key?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; key?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KeylessError";
    this.code = code;
    if (options?.key !== undefined) this.key = options.key;
  }
}

export function isKeylessError(e: unknown): e is KeylessError {
  return (
    e instanceof Error && typeof (e as { code?: unknown }).code === "string" && e.name === "KeylessError"
  );
}
