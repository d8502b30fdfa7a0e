/**
 * Which failure reading a rotation queue met, decided from the facts of errors/azureFailure.ts;
 * errors/secrets.ts words the reason. Shared by the reader and by keyless doctor's queue check, so both
 * say the same.
 */
import type { AzureFailure } from "../../../../errors/azureFailureFacts.js";
import { failureSummary } from "../../../../errors/azureFailureFacts.js";
import { isKeylessError, type KeylessError } from "../../../../errors/keylessError.js";
import { secretErrors, type QueueFailureReason } from "../../../../errors/secrets.js";
import type { ClassifiedFailure } from "../../../../errors/wording.js";

export function classifyQueueFailure(f: AzureFailure, cause: unknown): ClassifiedFailure<QueueFailureReason> {
  return { why: reasonOf(f, cause), transient: f.transient };
}

function reasonOf(f: AzureFailure, cause: unknown): QueueFailureReason {
  // The identity already worded its failure (and its fix).
  if (isKeylessError(cause)) return { kind: "identity", message: cause.message };
  if (f.status === 403)
    return { kind: "forbidden", ...(f.serviceCode !== undefined && { serviceCode: f.serviceCode }) };
  if (f.status === 404)
    return { kind: "missing", ...(f.serviceCode !== undefined && { serviceCode: f.serviceCode }) };
  if (f.status === 401) return { kind: "tokenRejected" };
  if (f.kind === "network" || f.kind === "timeout")
    return { kind: "unreachable", summary: failureSummary(f) };
  return { kind: "failed", summary: failureSummary(f) };
}

/** A rotation queue that cannot be read, classified and worded; `queue` is `<host>/<name>`. */
export function rotationQueueFailure(opts: {
  instance: string;
  queue: string;
  who: string;
  failure: AzureFailure;
  cause: unknown;
}): KeylessError {
  return secretErrors.rotationQueueFailed({
    ...opts,
    failure: classifyQueueFailure(opts.failure, opts.cause),
  });
}
