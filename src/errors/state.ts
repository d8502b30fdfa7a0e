/**
 * The wording of state-store errors: keys, values, TTLs and etags a request got wrong, transactions, the
 * backends' failures and their metadata. Which Tables failure it was is decided beside the Tables backend
 * (state/backends/tables/tablesFailure.ts); the reasons below are what it may answer, worded here.
 */
import { KeylessError } from "./keylessError.js";
import { FIX_METADATA, quote, type ClassifiedFailure } from "./wording.js";

export const FIX_TABLES_REACH = "check tableEndpoint / accountName and the account's network rules";
const FIX_SHARED_KEY =
  "check the account key (or connection string) and that shared-key access is enabled on the account";
const FIX_SAS = "check the SAS: its expiry, its permissions (raud) and that it covers the table service";
const FIX_TABLES_ROLE = `az role assignment create --role "Storage Table Data Contributor" --assignee <principal id> --scope <resource id of the storage account>`;

/** How to create a missing table; `table` is its name, or `<table>` where the message does not know it. */
export const createTableFix = (opts: { table: string; skipCreateTable: boolean }): string =>
  `create the table (az storage table create --name ${opts.table} --account-name <account> --auth-mode login)${opts.skipCreateTable ? " or remove skipCreateTable" : ""}`;

/** Who signs the Tables calls: an identity's token, the account key or a SAS, and its name in messages. */
export interface TablesSigner {
  kind: "token" | "sharedKey" | "sas";
  describe: string;
}

/** Why a Tables call failed, as tables/tablesFailure.ts decides it from the Azure failure's facts. */
export type TablesFailureReason =
  | { kind: "timeout" }
  /** Storage's codes for credentials it could not authenticate (Azurite answers some of them with 400). */
  | { kind: "credentialRefused"; summary: string }
  | { kind: "tokenRejected" }
  | { kind: "notAllowed"; summary: string }
  | { kind: "keyRefused"; summary: string }
  | { kind: "tableNotFound"; skipCreateTable: boolean }
  | { kind: "busy"; summary: string }
  | { kind: "unreachable"; errno?: string }
  | { kind: "failed"; summary: string };

function tablesReason(r: TablesFailureReason, who: TablesSigner): { text: string; fix: string } {
  const keyFix = who.kind === "sas" ? FIX_SAS : FIX_SHARED_KEY;
  switch (r.kind) {
    case "timeout":
      return { text: "no answer in time", fix: FIX_TABLES_REACH };
    case "credentialRefused":
      return who.kind === "sas"
        ? { text: `the storage account refused the SAS (${r.summary})`, fix: keyFix }
        : who.kind === "sharedKey"
          ? { text: `the storage account refused the shared key (${r.summary})`, fix: keyFix }
          : {
              text: `the service refused the token of ${who.describe} (${r.summary})`,
              fix: FIX_TABLES_REACH,
            };
    case "tokenRejected":
      return {
        text: `the service rejected the token of ${who.describe} (HTTP 401) even after a newly issued one`,
        fix: FIX_TABLES_ROLE,
      };
    case "notAllowed":
      return {
        text: `${who.describe} is not allowed (${r.summary}); grant it the "Storage Table Data Contributor" role on the storage account or table`,
        fix: FIX_TABLES_ROLE,
      };
    case "keyRefused":
      return {
        text:
          who.kind === "sas"
            ? `the storage account refused the SAS (${r.summary}); check its expiry, permissions (raud) and that it covers the table service`
            : `the storage account refused the shared key (${r.summary})`,
        fix: keyFix,
      };
    case "tableNotFound":
      return {
        text: `the table does not exist${r.skipCreateTable ? " and skipCreateTable is set; create it or let keyless create it" : ""}`,
        fix: createTableFix({ table: "<table>", skipCreateTable: r.skipCreateTable }),
      };
    case "busy":
      return { text: `the service is busy or failing (${r.summary})`, fix: FIX_TABLES_REACH };
    case "unreachable":
      return { text: `the service is unreachable${r.errno ? ` (${r.errno})` : ""}`, fix: FIX_TABLES_REACH };
    case "failed":
      return { text: r.summary, fix: FIX_TABLES_REACH };
  }
}

/** Only error codes and class names of causes reach messages, never their free text (it may echo data). */
function describeCause(cause: unknown): string {
  if (cause && typeof cause === "object" && "code" in cause && typeof cause.code === "string") {
    return ` (${cause.code})`;
  }
  return "";
}

export const stateErrors = {
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
  transactionTooLarge: (instance: string, count: number, max: number) =>
    new KeylessError(
      "TRANSACTION_TOO_LARGE",
      `state instance ${quote(instance)}: the transaction has ${count} operations; the limit is ${max}`,
    ),
  /** A backend step `op` failed with a foreign error (only its code reaches the message). */
  backendFailed: (opts: { instance: string; backend: string; op: string; cause?: unknown }) =>
    new KeylessError(
      "BACKEND_FAILED",
      `state instance ${quote(opts.instance)}: the ${opts.backend} backend failed during ${opts.op}${describeCause(opts.cause)}`,
      { cause: opts.cause },
    ),
  /** A Tables call that failed during `op` on `where`, worded from its classified reason. */
  tablesFailed: (opts: {
    instance: string;
    op: string;
    where: string;
    who: TablesSigner;
    failure: ClassifiedFailure<TablesFailureReason>;
    cause: unknown;
  }) => {
    const { failure } = opts;
    const { text, fix } = tablesReason(failure.why, opts.who);
    return new KeylessError(
      "BACKEND_FAILED",
      `state instance ${quote(opts.instance)}: ${opts.op} on ${opts.where} failed: ${text}`,
      {
        cause: opts.cause,
        transient: failure.transient,
        ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
        fix,
      },
    );
  },
  /** A keyless error (e.g. from the identity) met during a backend step: says which step, keeps code and cause. */
  backendStepFailed: (opts: { instance: string; op: string; where: string; cause: KeylessError }) => {
    const e = opts.cause;
    return new KeylessError(
      e.code,
      `state instance ${quote(opts.instance)}: ${opts.op} on ${opts.where}: ${e.message}`,
      {
        cause: e,
        transient: e.transient,
        ...(e.retryAfterMs !== undefined && { retryAfterMs: e.retryAfterMs }),
      },
    );
  },
  tablesInsecureEndpoint: (instance: string, field: string, reason: string) =>
    new KeylessError(
      "METADATA_INVALID",
      `state instance ${quote(instance)}: invalid component metadata: ${field}: ${reason}`,
      { fix: FIX_METADATA },
    ),
  connectionStringInvalid: (instance: string, reason: string, cause?: unknown) =>
    new KeylessError(
      "METADATA_INVALID",
      `state instance ${quote(instance)}: invalid component metadata: connectionString: ${reason} (the value is not shown)`,
      { cause, fix: FIX_METADATA },
    ),
};
