/**
 * `keyless doctor` for a secret store with rotationQueue: can its identity reach and read the queue?
 * A peek proves read access without taking a message from the running keyless; deleting (what keyless
 * also does) needs "Storage Queue Data Message Processor", which a peek cannot prove, so the fix names it.
 */
import { describeAzureFailure } from "../../errors/azureFailure.js";
import { FIX_QUEUE_REACH } from "../../errors/secrets.js";
import type { CachedCredential } from "../../identity/cachedCredential.js";
import { describeIdentity } from "../../identity/identitySpec.js";
import { rotationQueueFailure } from "../../secrets/sources/keyvault/index.js";
import { fixOf } from "../failureFacts.js";
import type { Check } from "../report.js";

const ROLE = "Storage Queue Data Message Processor";

export async function rotationQueueCheck(
  instance: string,
  queueUrl: string,
  credential: CachedCredential,
): Promise<Check> {
  const url = new URL(queueUrl);
  const name = `rotationQueue ${url.host}${url.pathname}`;
  const who = describeIdentity(credential.spec);
  const { QueueClient } = await import("@azure/storage-queue");
  try {
    const client = new QueueClient(queueUrl, credential, { retryOptions: { maxTries: 1 } });
    const peek = await client.peekMessages({
      numberOfMessages: 32,
      abortSignal: AbortSignal.timeout(10_000),
    });
    return {
      name,
      status: "ok",
      detail: `reachable; ${who} may read it (${peek.peekedMessageItems.length} message(s) waiting); keyless also deletes what it reads, which needs "${ROLE}"`,
    };
  } catch (e) {
    const err = rotationQueueFailure({
      instance,
      queue: `${url.host}${url.pathname}`,
      who,
      failure: describeAzureFailure(e),
      cause: e,
    });
    return { name, status: "fail", detail: err.message, fix: fixOf(err) ?? FIX_QUEUE_REACH };
  }
}
