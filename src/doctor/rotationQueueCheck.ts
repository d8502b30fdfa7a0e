/**
 * `keyless doctor` for a secret store with rotationQueue: can its identity reach and read the queue?
 * A peek proves read access without taking a message from the running keyless; deleting (what keyless
 * also does) needs "Storage Queue Data Message Processor", which a peek cannot prove, so the fix names it.
 */
import { describeAzureFailure } from "../errors/azureFailure.js";
import { errors } from "../errors/catalog.js";
import type { CachedCredential } from "../identity/cachedCredential.js";
import { describeIdentity } from "../identity/identitySpec.js";
import type { Check } from "./report.js";

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
    const f = describeAzureFailure(e);
    return {
      name,
      status: "fail",
      detail: errors.rotationQueueFailed(instance, `${url.host}${url.pathname}`, who, f, e).message,
      fix:
        f.status === 403
          ? `az role assignment create --role "${ROLE}" --assignee <principal id of ${who}> --scope <resource id of the storage account>/queueServices/default/queues/${url.pathname.split("/").pop()}`
          : f.status === 404
            ? `az storage queue create --name ${url.pathname.split("/").pop()} --account-name <account> --auth-mode login, then subscribe it to the vault's events (az eventgrid event-subscription create --source-resource-id <vault id> --endpoint-type storagequeue ...)`
            : "check rotationQueueAccount / rotationQueueEndpoint and the storage account's network rules",
    };
  }
}
