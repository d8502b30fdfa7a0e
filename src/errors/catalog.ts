/**
 * Every error keyless sends, in one file, so the wording can be reviewed in one place.
 * Each entry builds a KeylessError; none of them ever includes a secret value or a state value.
 */
import { failureSummary, type AzureFailure } from "./azureFailureFacts.js";
import { isKeylessError, KeylessError } from "./keylessError.js";
import { KEY_VAULT_DOMAINS } from "../secrets/sources/keyvault/keyVaultDomains.js";

/** Storage's codes for credentials it could not authenticate (Azurite answers some of them with 400). */
const AUTH_REFUSED = new Set(["InvalidAuthenticationInfo", "AuthenticationFailed"]);

/** The instance-free reason of an earlier failure, to repeat it for another secret or store ("…; "). */
const reasonOf = (cause: unknown): string =>
  isKeylessError(cause) && cause.reason ? `${cause.reason}; ` : "";
const quote = (s: string, max = 120): string => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

// Fixes shared by several entries below.
const FIX_METADATA = "correct the component metadata as the message says";
const FIX_VAULT_REACH =
  "check vaultName / vaultUri / vaultUris and that the vault's firewall lets this app in";
const FIX_TABLES_REACH = "check tableEndpoint / accountName and the account's network rules";
const FIX_SHARED_KEY =
  "check the account key (or connection string) and that shared-key access is enabled on the account";
const FIX_SAS = "check the SAS: its expiry, its permissions (raud) and that it covers the table service";
const FIX_TABLES_ROLE = `az role assignment create --role "Storage Table Data Contributor" --assignee <principal id> --scope <resource id of the storage account>`;

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
      { fix: FIX_METADATA },
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
      { fix: `create the secret (az keyvault secret set --vault-name <vault> --name ${name} --value ...)` },
    ),
  sourceFailed: (
    instance: string,
    source: string,
    name: string | undefined,
    reason: string,
    cause?: unknown,
    extra: { transient?: boolean; retryAfterMs?: number; fix?: string } = {},
  ) =>
    new KeylessError(
      "SOURCE_FAILED",
      `secret store ${quote(instance)}: source ${source} failed${name === undefined ? "" : ` for secret ${quote(name)}`}: ${reason}`,
      { cause, reason, ...extra },
    ),
  sourceBackingOff: (
    instance: string,
    source: string,
    name: string | undefined,
    waitMs: number,
    cause: unknown,
  ) =>
    errors.sourceFailed(
      instance,
      source,
      name,
      `${reasonOf(cause)}keyless is not calling it again for another ${Math.ceil(waitMs / 1000)}s, as it asked`,
      cause,
      { transient: true, retryAfterMs: waitMs },
    ),
  /** The cache's own backoff after transient failures: the last failure, and when the vault is asked again. */
  sourceRetryLater: (
    instance: string,
    source: string,
    name: string | undefined,
    waitMs: number,
    failures: number,
    cause: unknown,
  ) =>
    errors.sourceFailed(
      instance,
      source,
      name,
      `${reasonOf(cause)}keyless asks the vault again in ${Math.ceil(waitMs / 1000)}s ` +
        `(backing off after ${failures} failed call${failures === 1 ? "" : "s"})`,
      cause,
      { transient: true },
    ),
  /** daprd (or a deadline) gave up on a secret call before it was answered. */
  secretCallCancelled: (instance: string, name: string, source: string) =>
    new KeylessError(
      "SOURCE_FAILED",
      `secret store ${quote(instance)}: the call for secret ${quote(name)} was cancelled by the caller while ${source} was answering`,
      { transient: true, reason: "cancelled by the caller" },
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
    new KeylessError("IDENTITY_FAILED", `${who}: ${missing}; ${fix}`, { fix }),
  federatedTokenUnusable: (who: string, file: string, problem: string, fix: string, cause?: unknown) =>
    new KeylessError("IDENTITY_FAILED", `${who}: the federated token file ${file} ${problem}; ${fix}`, {
      cause,
      fix,
    }),
  entraRefused: (
    who: string,
    scope: string,
    code: "IDENTITY_UNKNOWN" | "IDENTITY_FAILED",
    problem: string,
    fix: string,
    cause?: unknown,
  ) => new KeylessError(code, `token for ${scope} via ${who}: ${problem}; ${fix}`, { cause, fix }),
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
  identityUnreachable: (scope: string, who: string, f: AzureFailure, cause: unknown) =>
    new KeylessError(
      "IDENTITY_UNREACHABLE",
      `token for ${scope} via ${who}: the identity endpoint is unreachable${f.errno ? ` (${f.errno})` : f.kind === "timeout" ? " (no answer in time)" : ""}; ` +
        `check that managed identity is enabled for this app (IDENTITY_ENDPOINT / IMDS)`,
      {
        cause,
        transient: true,
        fix: "managed identity is not available to keyless: enable it for the app (IDENTITY_ENDPOINT/IDENTITY_HEADER or IMDS must be reachable); on a laptop use azureCredential: cli",
      },
    ),
  identityUnknown: (scope: string, who: string, cause: unknown) =>
    new KeylessError(
      "IDENTITY_UNKNOWN",
      `token for ${scope} via ${who}: the identity endpoint does not know this identity; ` +
        `check that it is assigned to this app and that the id in the component metadata is right`,
      {
        cause,
        fix:
          `make sure ${who} is enabled for this app and assigned to it (az containerapp identity assign --system-assigned, ` +
          `or --user-assigned <resource id>); for a user-assigned identity, that the id in the component metadata is its id ` +
          `(az identity show -n <name> -g <group> --query clientId)`,
      },
    ),
  identityFailed: (scope: string, who: string, f: AzureFailure, cause: unknown) =>
    new KeylessError(
      "IDENTITY_FAILED",
      `token for ${scope} via ${who} failed${f.status ? ` (HTTP ${f.status})` : ""}${f.errorName ? ` [${f.errorName}]` : ""}`,
      {
        cause,
        transient: f.transient,
        // The refusal's own text stays in the cause: it may echo the request, so no message or log shows it.
        fix:
          `check that ${who} exists and may be used by this app; keyless shows only the HTTP status and error class of the refusal, ` +
          `as its text may echo the request (for the CLI login, az account get-access-token --scope ${scope} prints it)`,
      },
    ),
  /**
   * Every vault of a failover store failed for one call, or is benched after failing: each vault with
   * its reason, so the operator sees the whole picture (the reasons never hold a value).
   */
  vaultsFailed: (opts: {
    instance: string;
    source: string;
    name: string | undefined;
    failed: readonly { vault: string; reason: string }[];
    benched: readonly { vault: string; inMs: number }[];
    cause: unknown;
  }) =>
    errors.sourceFailed(
      opts.instance,
      opts.source,
      opts.name,
      `every vault is failing: ${[
        ...opts.failed.map((f) => `${f.vault}: ${f.reason}`),
        ...opts.benched.map(
          (b) => `${b.vault}: failed before, tried again in ${Math.max(1, Math.ceil(b.inMs / 1000))}s`,
        ),
      ].join("; ")}`,
      opts.cause,
      { transient: true },
    ),
  /** A Key Vault certificate whose bundle cannot be split into tls.crt / tls.key (never its bytes). */
  certificateUnreadable: (instance: string, source: string, name: string, reason: string) =>
    errors.sourceFailed(instance, source, name, `the certificate cannot be used: ${reason}`),
  /** Why a Key Vault call failed, from the facts of azureFailure.ts. */
  vaultFailed: (
    instance: string,
    source: string,
    name: string | undefined,
    who: string,
    f: AzureFailure,
    vault: { timeoutMs: number; hostOutsideKeyVaultDomains?: string | undefined },
    cause: unknown,
  ) => {
    const fail = (reason: string, extra: { transient?: boolean; retryAfterMs?: number; fix?: string } = {}) =>
      errors.sourceFailed(instance, source, name, reason, cause, { fix: FIX_VAULT_REACH, ...extra });
    if (f.kind === "timeout") return fail(`no answer within ${vault.timeoutMs} ms`, { transient: true });
    if (f.status === 403 && f.serviceCode === "SecretDisabled")
      return fail("the secret is disabled in the vault", {
        fix: `enable it (az keyvault secret set-attributes --vault-name <vault> --name ${name ?? "<name>"} --enabled true)`,
      });
    if (f.status === 403) {
      return fail(
        `${who} may not read secrets here (HTTP 403${f.serviceCode ? ` ${f.serviceCode}` : ""}); grant it the "Key Vault Secrets User" role on the vault ` +
          `(or a "get"/"list" access policy)`,
        {
          fix: `az role assignment create --role "Key Vault Secrets User" --assignee <principal id of ${who}> --scope <resource id of the vault>`,
        },
      );
    }
    if (f.status === 401) {
      return fail(
        `the vault rejected the token of ${who} (HTTP 401) even after a newly issued one; ` +
          `check that the identity belongs to the vault's tenant and has not been deleted`,
        { fix: `check that ${who} belongs to the vault's tenant and has not been deleted` },
      );
    }
    if (f.status === 429) {
      const retryAfterMs = f.retryAfterMs ?? 1000;
      return fail(`the vault is throttling requests (HTTP 429, retry after ${retryAfterMs / 1000}s)`, {
        transient: true,
        retryAfterMs,
      });
    }
    if (f.kind === "http" && f.status !== undefined && f.status >= 500) {
      return fail(`the vault answered HTTP ${f.status}`, {
        transient: true,
        ...(f.retryAfterMs !== undefined && { retryAfterMs: f.retryAfterMs }),
      });
    }
    if (f.kind === "network")
      return fail(`the vault is unreachable${f.errno ? ` (${f.errno})` : ""}`, { transient: true });
    if (f.kind === "http") return fail(`the vault answered ${failureSummary(f)}`, { transient: f.transient });
    const host = vault.hostOutsideKeyVaultDomains;
    if (host !== undefined) {
      return fail(
        `the vault call failed (${failureSummary(f)}); the vault URL's host ${host} is outside Key Vault's domains ` +
          `(${KEY_VAULT_DOMAINS.join(", ")}), and the Key Vault SDK refuses a vault whose authentication challenge ` +
          `names a domain the host is not under, as for a private-link name: use https://<vault-name>.vault.azure.net ` +
          `(private DNS resolves it to the private endpoint)`,
        {
          fix: "use https://<vault-name>.vault.azure.net as the vault URL (private DNS resolves it to the private endpoint)",
        },
      );
    }
    return fail(`the vault call failed (${failureSummary(f)})`);
  },
  /** Why a Tables call failed, from the facts of azureFailure.ts. `who` names the identity or the key kind. */
  tablesFailed: (
    instance: string,
    op: string,
    where: string,
    who: { kind: "token" | "sharedKey" | "sas"; describe: string },
    f: AzureFailure,
    skipCreateTable: boolean,
    cause: unknown,
  ) => {
    let reason: string;
    let fix = FIX_TABLES_REACH;
    const keyFix = who.kind === "sas" ? FIX_SAS : FIX_SHARED_KEY;
    if (f.kind === "timeout") reason = "no answer in time";
    else if (f.status === 400 && f.serviceCode !== undefined && AUTH_REFUSED.has(f.serviceCode)) {
      reason =
        who.kind === "sas"
          ? `the storage account refused the SAS (${failureSummary(f)})`
          : who.kind === "sharedKey"
            ? `the storage account refused the shared key (${failureSummary(f)})`
            : `the service refused the token of ${who.describe} (${failureSummary(f)})`;
      if (who.kind !== "token") fix = keyFix;
    } else if (f.status === 401 && who.kind === "token") {
      reason = `the service rejected the token of ${who.describe} (HTTP 401) even after a newly issued one`;
      fix = FIX_TABLES_ROLE;
    } else if ((f.status === 403 || f.status === 401) && who.kind === "token") {
      reason = `${who.describe} is not allowed (${failureSummary(f)}); grant it the "Storage Table Data Contributor" role on the storage account or table`;
      fix = FIX_TABLES_ROLE;
    } else if (f.status === 403 || f.status === 401) {
      reason =
        who.kind === "sas"
          ? `the storage account refused the SAS (${failureSummary(f)}); check its expiry, permissions (raud) and that it covers the table service`
          : `the storage account refused the shared key (${failureSummary(f)})`;
      fix = keyFix;
    } else if (f.status === 404 && f.serviceCode === "TableNotFound") {
      reason = `the table does not exist${skipCreateTable ? " and skipCreateTable is set; create it or let keyless create it" : ""}`;
      fix = `create the table (az storage table create --name <table> --account-name <account> --auth-mode login)${skipCreateTable ? " or remove skipCreateTable" : ""}`;
    } else if (f.transient && f.kind === "http")
      reason = `the service is busy or failing (${failureSummary(f)})`;
    else if (f.kind === "network") reason = `the service is unreachable${f.errno ? ` (${f.errno})` : ""}`;
    else reason = failureSummary(f);
    return new KeylessError(
      "BACKEND_FAILED",
      `state instance ${quote(instance)}: ${op} on ${where} failed: ${reason}`,
      {
        cause,
        transient: f.transient,
        ...(f.retryAfterMs !== undefined && { retryAfterMs: f.retryAfterMs }),
        fix,
      },
    );
  },
  /** A keyless error (e.g. from the identity) met during a backend step: says which step, keeps code and cause. */
  backendStepFailed: (instance: string, op: string, where: string, e: KeylessError) =>
    new KeylessError(e.code, `state instance ${quote(instance)}: ${op} on ${where}: ${e.message}`, {
      cause: e,
      transient: e.transient,
      ...(e.retryAfterMs !== undefined && { retryAfterMs: e.retryAfterMs }),
    }),
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
  /** A rotationQueue that cannot be read (a warning and a not-ready reason, never a failed call). */
  rotationQueueFailed: (instance: string, queue: string, who: string, f: AzureFailure, cause: unknown) => {
    const source = `rotationQueue(${queue})`;
    const queueName = queue.split("/").pop();
    const fail = (reason: string, fix?: string) =>
      errors.sourceFailed(instance, source, undefined, reason, cause, {
        transient: f.transient,
        // A keyless cause (the identity's) carries its own fix, which a reader of the cause chain finds.
        ...((fix !== undefined || !isKeylessError(cause)) && {
          fix:
            fix ??
            "check rotationQueueAccount / rotationQueueEndpoint and the storage account's network rules",
        }),
      });
    if (isKeylessError(cause)) return fail(cause.message);
    if (f.status === 403) {
      return fail(
        `${who} may not read this queue (HTTP 403${f.serviceCode ? ` ${f.serviceCode}` : ""}); grant it the ` +
          `"Storage Queue Data Message Processor" role on the queue or its storage account`,
        `az role assignment create --role "Storage Queue Data Message Processor" --assignee <principal id of ${who}> --scope <resource id of the storage account>/queueServices/default/queues/${queueName}`,
      );
    }
    if (f.status === 404) {
      return fail(
        `the queue does not exist (HTTP 404${f.serviceCode ? ` ${f.serviceCode}` : ""}); create it and point ` +
          `the vault's Event Grid subscription at it`,
        `az storage queue create --name ${queueName} --account-name <account> --auth-mode login, then subscribe it to the vault's events (az eventgrid event-subscription create --source-resource-id <vault id> --endpoint-type storagequeue ...)`,
      );
    }
    if (f.status === 401) return fail(`the queue service rejected the token of ${who} (HTTP 401)`);
    if (f.kind === "network" || f.kind === "timeout") {
      return fail(`the queue service is unreachable (${failureSummary(f)})`);
    }
    return fail(`reading it failed (${failureSummary(f)})`);
  },
  reflectionUnavailable: () =>
    new KeylessError(
      "INTERNAL",
      "keyless could not build its server reflection, so daprd cannot discover its services; see the keyless log",
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
