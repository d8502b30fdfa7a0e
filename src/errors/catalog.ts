/**
 * Every error keyless sends, in one file, so the wording can be reviewed in one place.
 * Each entry builds a KeylessError; none of them ever includes a secret value or a state value.
 */
import { KeylessError } from "./keylessError.js";

const quote = (s: string, max = 120): string => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

export const errors = {
  instanceHeaderMissing: (service: string) =>
    new KeylessError(
      "INSTANCE_HEADER_MISSING",
      `${service}: the call carries no x-component-instance header; daprd always sends it, so this caller is not daprd`,
    ),
  instanceHeaderConflict: (service: string, values: string[]) =>
    new KeylessError(
      "INSTANCE_HEADER_CONFLICT",
      `${service}: the call carries ${values.length} different x-component-instance values (${values.map((v) => quote(v, 60)).join(", ")}); send exactly one`,
    ),
  instanceUnknown: (component: string, instance: string) =>
    new KeylessError(
      "INSTANCE_UNKNOWN",
      `${component} instance ${quote(instance)} was never initialised by this keyless process and no saved configuration exists for it; ` +
        `restart the Dapr sidecar (daprd sends Init only when it starts or reloads the component)`,
    ),
  instanceRestoreFailed: (component: string, instance: string, reason: string, cause?: unknown) =>
    new KeylessError(
      "INSTANCE_RESTORE_FAILED",
      `${component} instance ${quote(instance)} could not be restored from its saved configuration (${reason}); ` +
        `restart the Dapr sidecar so it sends Init again`,
      { cause },
    ),
  metadataInvalid: (component: string, instance: string, problems: string[]) =>
    new KeylessError(
      "METADATA_INVALID",
      `${component} instance ${quote(instance)}: invalid component metadata: ${problems.join("; ")}`,
    ),
  keyEmpty: (instance: string) =>
    new KeylessError("KEY_INVALID", `state instance ${quote(instance)}: the key is empty`),
  keyTooLong: (instance: string, bytes: number, max: number) =>
    new KeylessError(
      "KEY_INVALID",
      `state instance ${quote(instance)}: the key is ${bytes} bytes long; the limit is ${max} bytes`,
    ),
  valueTooLarge: (instance: string, key: string, bytes: number, max: number) =>
    new KeylessError(
      "VALUE_TOO_LARGE",
      `state instance ${quote(instance)}: the value for key ${quote(key)} is ${bytes} bytes; the limit is ${max} bytes`,
      { key },
    ),
  ttlInvalid: (instance: string, key: string, raw: string) =>
    new KeylessError(
      "TTL_INVALID",
      `state instance ${quote(instance)}: ttlInSeconds for key ${quote(key)} must be an integer from -1 to 2147483647, got ${quote(raw, 40)}`,
      { key },
    ),
  etagMismatch: (key: string) =>
    new KeylessError("ETAG_MISMATCH", `etag does not match the stored version of key ${quote(key)}`, { key }),
  etagMissingRow: (key: string) =>
    new KeylessError(
      "ETAG_MISMATCH",
      `an etag was given for key ${quote(key)} but the key does not exist (or has expired)`,
      { key },
    ),
  firstWriteConflict: (key: string) =>
    new KeylessError(
      "ETAG_MISMATCH",
      `first-write concurrency: key ${quote(key)} already exists and no etag was given`,
      { key },
    ),
  etagInvalid: (key: string, etag: string, shape: string) =>
    new KeylessError(
      "ETAG_INVALID",
      `etag ${quote(etag, 60)} for key ${quote(key)} is not an etag this store issues (expected ${shape})`,
      { key },
    ),
  keyNotStorable: (instance: string, key: string, reason: string) =>
    new KeylessError(
      "KEY_INVALID",
      `state instance ${quote(instance)}: key ${quote(key)} cannot be stored: ${reason}`,
    ),
  transactionSpansPartitions: (instance: string, partitions: number) =>
    new KeylessError(
      "REQUEST_INVALID",
      `state instance ${quote(instance)}: the tables backend runs a transaction as one entity-group transaction, ` +
        `so every key must share its partition (the part before the last "||"); this one spans ${partitions} partitions`,
    ),
  requestInvalid: (what: string) => new KeylessError("REQUEST_INVALID", what),
  transactionTooLarge: (instance: string, count: number, max: number) =>
    new KeylessError(
      "TRANSACTION_TOO_LARGE",
      `state instance ${quote(instance)}: the transaction has ${count} operations; the limit is ${max}`,
    ),
  secretNameInvalid: (instance: string, reason: string) =>
    new KeylessError(
      "SECRET_NAME_INVALID",
      `secret store ${quote(instance)}: invalid secret name: ${reason}`,
    ),
  secretNotFound: (instance: string, name: string, consulted: string[]) =>
    new KeylessError(
      "SECRET_NOT_FOUND",
      `secret ${quote(name)} not found in secret store ${quote(instance)}; sources consulted in order: ${consulted.join(", ")}`,
    ),
  sourceFailed: (
    instance: string,
    source: string,
    name: string | undefined,
    reason: string,
    cause?: unknown,
    extra: { transient?: boolean; retryAfterMs?: number } = {},
  ) =>
    new KeylessError(
      "SOURCE_FAILED",
      `secret store ${quote(instance)}: source ${source} failed${name === undefined ? "" : ` for secret ${quote(name)}`}: ${reason}`,
      { cause, ...extra },
    ),
  secretNotAllowed: (instance: string, name: string, rule: string) =>
    new KeylessError(
      "SECRET_NOT_ALLOWED",
      `secret ${quote(name)} is not served by secret store ${quote(instance)}: ${rule}`,
    ),
  backendFailed: (instance: string, backend: string, op: string, cause?: unknown) =>
    new KeylessError(
      "BACKEND_FAILED",
      `state instance ${quote(instance)}: the ${backend} backend failed during ${op}${describeCause(cause)}`,
      { cause },
    ),
  // Workload identity (AKS): its settings, the projected token file, and Microsoft Entra ID's refusals.
  workloadIdentityNotConfigured: (who: string, missing: string, fix: string) =>
    new KeylessError("IDENTITY_FAILED", `${who}: ${missing}; ${fix}`),
  federatedTokenUnusable: (who: string, file: string, problem: string, fix: string, cause?: unknown) =>
    new KeylessError("IDENTITY_FAILED", `${who}: the federated token file ${file} ${problem}; ${fix}`, {
      cause,
    }),
  entraRefused: (
    who: string,
    scope: string,
    code: "IDENTITY_UNKNOWN" | "IDENTITY_FAILED",
    problem: string,
    fix: string,
    cause?: unknown,
  ) => new KeylessError(code, `token for ${scope} via ${who}: ${problem}; ${fix}`, { cause }),
  // Local data and instance ownership (issue 11).
  instanceInUse: (component: string, instance: string, differing: string[]) =>
    new KeylessError(
      "INSTANCE_IN_USE",
      `${component} instance ${quote(instance)} is already initialised by another live daprd connection with different metadata ` +
        `(${differing.join(", ")}); keyless refuses to swap it under that sidecar. Two sidecars on one keyless socket need ` +
        `different component names, or give each app its own keyless (KEYLESS_COMPONENT_NAME or its own socket folder)`,
    ),
  maxResultsInvalid: (instance: string, raw: string) =>
    new KeylessError(
      "REQUEST_INVALID",
      `secret store ${quote(instance)}: BulkGet metadata maxresults must be a positive integer, got ${quote(raw, 20)}`,
    ),
  internal: (op: string) =>
    new KeylessError(
      "INTERNAL",
      `keyless hit an unexpected error during ${op}; see the keyless log for details`,
    ),
};

/** Only error codes and class names of causes reach messages, never their free text (it may echo data). */
function describeCause(cause: unknown): string {
  if (cause && typeof cause === "object" && "code" in cause && typeof cause.code === "string") {
    return ` (${cause.code})`;
  }
  return "";
}
