/**
 * The Storage Queue client: with the app's managed identity, or with a connection string the app fetches
 * through the Dapr secrets API (from secretstores.keyless), never from its own configuration.
 */
import { ManagedIdentityCredential } from "@azure/identity";
import { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import type { DaprClient } from "@dapr/dapr";
import type { QueueReaderConfig } from "./config.js";

export async function openQueue(cfg: QueueReaderConfig, dapr: DaprClient): Promise<QueueClient> {
  let queue: QueueClient;
  if (cfg.queueAuth === "identity") {
    const credential = new ManagedIdentityCredential(
      cfg.azureClientId ? { clientId: cfg.azureClientId } : {},
    );
    queue = new QueueClient(`${cfg.queueEndpoint!.replace(/\/+$/, "")}/${cfg.queueName}`, credential);
  } else {
    const secret = (await dapr.secret.get(cfg.secretStore, cfg.secretName)) as Record<string, string>;
    const cs = secret[cfg.secretName];
    if (!cs) throw new Error(`secret store ${cfg.secretStore} has no value for ${cfg.secretName}`);
    queue = QueueServiceClient.fromConnectionString(cs).getQueueClient(cfg.queueName);
  }
  await queue.createIfNotExists();
  return queue;
}
