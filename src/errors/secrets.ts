/**
 * The wording of secret-store errors: names and rules, a missing secret, a source that failed (and the
 * cache's backoff over it), Key Vault's failures and the rotation queue's. Which failure it was is decided
 * beside the caller (secrets/sources/keyvault/vaultFailure.ts, rotation/queueFailure.ts); the reasons
 * below are what those classifiers may answer, and this file only words them.
 */
import { isKeylessError, KeylessError } from "./keylessError.js";
import { quote, type ClassifiedFailure } from "./wording.js";

/** The instance-free reason of an earlier failure, to repeat it for another secret or store ("…; "). */
const reasonOf = (cause: unknown): string =>
  isKeylessError(cause) && cause.reason ? `${cause.reason}; ` : "";

export const FIX_VAULT_REACH =
  "check vaultName / vaultUri / vaultUris and that the vault's firewall lets this app in";
export const FIX_QUEUE_REACH =
  "check rotationQueueAccount / rotationQueueEndpoint and the storage account's network rules";

/** Which store, which source of its chain, and the secret asked for (none for a listing or a start-up read). */
interface WhereFailed {
  instance: string;
  source: string;
  name?: string | undefined;
}

interface SourceFailedOptions extends WhereFailed {
  /** Why, without the instance or the secret, so it can be repeated for another (KeylessError.reason). */
  reason: string;
  cause?: unknown;
  transient?: boolean;
  retryAfterMs?: number;
  fix?: string;
}

interface SourceBackoffOptions extends WhereFailed {
  waitMs: number;
  cause: unknown;
}

const whereFailed = ({ instance, source, name }: WhereFailed): WhereFailed => ({ instance, source, name });

/** Why a Key Vault call failed, as keyvault/vaultFailure.ts decides it from the Azure failure's facts. */
export type VaultFailureReason =
  | { kind: "timeout"; timeoutMs: number }
  | { kind: "secretDisabled" }
  | { kind: "forbidden"; serviceCode?: string }
  | { kind: "tokenRejected" }
  | { kind: "throttled"; retryAfterMs: number }
  | { kind: "serverError"; status: number }
  | { kind: "unreachable"; errno?: string }
  | { kind: "answered"; summary: string }
  | { kind: "hostOutsideDomains"; host: string; domains: readonly string[]; summary: string }
  | { kind: "failed"; summary: string };

/** Why a rotation queue could not be read, as keyvault/rotation/queueFailure.ts decides it. */
export type QueueFailureReason =
  | { kind: "identity"; message: string }
  | { kind: "forbidden"; serviceCode?: string }
  | { kind: "missing"; serviceCode?: string }
  | { kind: "tokenRejected" }
  | { kind: "unreachable"; summary: string }
  | { kind: "failed"; summary: string };

function vaultReason(
  r: VaultFailureReason,
  who: string,
  name: string | undefined,
): { text: string; fix: string } {
  switch (r.kind) {
    case "timeout":
      return { text: `no answer within ${r.timeoutMs} ms`, fix: FIX_VAULT_REACH };
    case "secretDisabled":
      return {
        text: "the secret is disabled in the vault",
        fix: `enable it (az keyvault secret set-attributes --vault-name <vault> --name ${name ?? "<name>"} --enabled true)`,
      };
    case "forbidden":
      return {
        text:
          `${who} may not read secrets here (HTTP 403${r.serviceCode ? ` ${r.serviceCode}` : ""}); grant it the "Key Vault Secrets User" role on the vault ` +
          `(or a "get"/"list" access policy)`,
        fix: `az role assignment create --role "Key Vault Secrets User" --assignee <principal id of ${who}> --scope <resource id of the vault>`,
      };
    case "tokenRejected":
      return {
        text:
          `the vault rejected the token of ${who} (HTTP 401) even after a newly issued one; ` +
          `check that the identity belongs to the vault's tenant and has not been deleted`,
        fix: `check that ${who} belongs to the vault's tenant and has not been deleted`,
      };
    case "throttled":
      return {
        text: `the vault is throttling requests (HTTP 429, retry after ${r.retryAfterMs / 1000}s)`,
        fix: FIX_VAULT_REACH,
      };
    case "serverError":
      return { text: `the vault answered HTTP ${r.status}`, fix: FIX_VAULT_REACH };
    case "unreachable":
      return { text: `the vault is unreachable${r.errno ? ` (${r.errno})` : ""}`, fix: FIX_VAULT_REACH };
    case "answered":
      return { text: `the vault answered ${r.summary}`, fix: FIX_VAULT_REACH };
    case "hostOutsideDomains":
      return {
        text:
          `the vault call failed (${r.summary}); the vault URL's host ${r.host} is outside Key Vault's domains ` +
          `(${r.domains.join(", ")}), and the Key Vault SDK refuses a vault whose authentication challenge ` +
          `names a domain the host is not under, as for a private-link name: use https://<vault-name>.vault.azure.net ` +
          `(private DNS resolves it to the private endpoint)`,
        fix: "use https://<vault-name>.vault.azure.net as the vault URL (private DNS resolves it to the private endpoint)",
      };
    case "failed":
      return { text: `the vault call failed (${r.summary})`, fix: FIX_VAULT_REACH };
  }
}

function queueReason(
  r: QueueFailureReason,
  who: string,
  queueName: string | undefined,
): { text: string; fix?: string } {
  switch (r.kind) {
    // A keyless cause (the identity's) carries its own fix, which a reader of the cause chain finds.
    case "identity":
      return { text: r.message };
    case "forbidden":
      return {
        text:
          `${who} may not read this queue (HTTP 403${r.serviceCode ? ` ${r.serviceCode}` : ""}); grant it the ` +
          `"Storage Queue Data Message Processor" role on the queue or its storage account`,
        fix: `az role assignment create --role "Storage Queue Data Message Processor" --assignee <principal id of ${who}> --scope <resource id of the storage account>/queueServices/default/queues/${queueName}`,
      };
    case "missing":
      return {
        text:
          `the queue does not exist (HTTP 404${r.serviceCode ? ` ${r.serviceCode}` : ""}); create it and point ` +
          `the vault's Event Grid subscription at it`,
        fix: `az storage queue create --name ${queueName} --account-name <account> --auth-mode login, then subscribe it to the vault's events (az eventgrid event-subscription create --source-resource-id <vault id> --endpoint-type storagequeue ...)`,
      };
    case "tokenRejected":
      return { text: `the queue service rejected the token of ${who} (HTTP 401)`, fix: FIX_QUEUE_REACH };
    case "unreachable":
      return { text: `the queue service is unreachable (${r.summary})`, fix: FIX_QUEUE_REACH };
    case "failed":
      return { text: `reading it failed (${r.summary})`, fix: FIX_QUEUE_REACH };
  }
}

export const secretErrors = {
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
  secretNotAllowed: (instance: string, name: string, rule: string) =>
    new KeylessError(
      "SECRET_NOT_ALLOWED",
      `secret ${quote(name)} is not served by secret store ${quote(instance)}: ${rule}`,
    ),
  maxResultsInvalid: (instance: string, raw: string) =>
    new KeylessError(
      "REQUEST_INVALID",
      `secret store ${quote(instance)}: BulkGet metadata maxresults must be a positive integer, got ${quote(raw, 20)}`,
    ),
  /** A source of the chain failed (for secret `name`, when the call was for one): stops the chain. */
  sourceFailed: (opts: SourceFailedOptions) => {
    const { instance, source, name, reason, cause, ...extra } = opts;
    return new KeylessError(
      "SOURCE_FAILED",
      `secret store ${quote(instance)}: source ${source} failed${name === undefined ? "" : ` for secret ${quote(name)}`}: ${reason}`,
      { cause, reason, ...extra },
    );
  },
  /** The source (or the vault's hold) asked keyless to wait `waitMs`; `cause` is the failure that asked. */
  sourceBackingOff: (opts: SourceBackoffOptions) =>
    secretErrors.sourceFailed({
      ...whereFailed(opts),
      reason: `${reasonOf(opts.cause)}keyless is not calling it again for another ${Math.ceil(opts.waitMs / 1000)}s, as it asked`,
      cause: opts.cause,
      transient: true,
      retryAfterMs: opts.waitMs,
    }),
  /** The cache's own backoff after transient failures: the last failure, and when the vault is asked again. */
  sourceRetryLater: (opts: SourceBackoffOptions & { failures: number }) =>
    secretErrors.sourceFailed({
      ...whereFailed(opts),
      reason:
        `${reasonOf(opts.cause)}keyless asks the vault again in ${Math.ceil(opts.waitMs / 1000)}s ` +
        `(backing off after ${opts.failures} failed call${opts.failures === 1 ? "" : "s"})`,
      cause: opts.cause,
      transient: true,
    }),
  /** daprd (or a deadline) gave up on a secret call before it was answered. */
  secretCallCancelled: (instance: string, name: string, source: string) =>
    new KeylessError(
      "SOURCE_FAILED",
      `secret store ${quote(instance)}: the call for secret ${quote(name)} was cancelled by the caller while ${source} was answering`,
      { transient: true, reason: "cancelled by the caller" },
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
    secretErrors.sourceFailed({
      instance: opts.instance,
      source: opts.source,
      name: opts.name,
      reason: `every vault is failing: ${[
        ...opts.failed.map((f) => `${f.vault}: ${f.reason}`),
        ...opts.benched.map(
          (b) => `${b.vault}: failed before, tried again in ${Math.max(1, Math.ceil(b.inMs / 1000))}s`,
        ),
      ].join("; ")}`,
      cause: opts.cause,
      transient: true,
    }),
  /** A Key Vault certificate whose bundle cannot be split into tls.crt / tls.key (never its bytes). */
  certificateUnreadable: (instance: string, source: string, name: string, reason: string) =>
    secretErrors.sourceFailed({
      instance,
      source,
      name,
      reason: `the certificate cannot be used: ${reason}`,
    }),
  /** A Key Vault call that failed, worded from its classified reason; `who` names the identity. */
  vaultFailed: (opts: {
    instance: string;
    source: string;
    name: string | undefined;
    who: string;
    failure: ClassifiedFailure<VaultFailureReason>;
    cause: unknown;
  }) => {
    const { failure } = opts;
    const { text, fix } = vaultReason(failure.why, opts.who, opts.name);
    return secretErrors.sourceFailed({
      instance: opts.instance,
      source: opts.source,
      name: opts.name,
      reason: text,
      cause: opts.cause,
      fix,
      transient: failure.transient,
      ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
    });
  },
  /** A rotationQueue that cannot be read (a warning and a not-ready reason, never a failed call). */
  rotationQueueFailed: (opts: {
    instance: string;
    /** The queue as `<host>/<name>`. */
    queue: string;
    who: string;
    failure: ClassifiedFailure<QueueFailureReason>;
    cause: unknown;
  }) => {
    const { text, fix } = queueReason(opts.failure.why, opts.who, opts.queue.split("/").pop());
    return secretErrors.sourceFailed({
      instance: opts.instance,
      source: `rotationQueue(${opts.queue})`,
      reason: text,
      cause: opts.cause,
      transient: opts.failure.transient,
      ...(fix !== undefined && { fix }),
    });
  },
};
