/**
 * Starts the rotation queue reader of a secret store instance. Loaded only for instances that set
 * rotationQueue, so @azure/storage-queue costs nothing to the others.
 */
import { QueueClient } from "@azure/storage-queue";
import type { BuildContext } from "../../../../components/kind.js";
import type { CachedCredential } from "../../../../identity/cachedCredential.js";
import { describeIdentity } from "../../../../identity/identitySpec.js";
import { noMetrics } from "../../../../observability/metrics.js";
import { RotationReader, type RotationTarget } from "./rotationReader.js";

export interface RotationSetup {
  queueUrl: string;
  /** Events of these vaults are acted on (a failover store's, or the one vault). */
  vaultUrls: readonly string[];
  credential: CachedCredential;
  target: RotationTarget;
  pollMs?: number;
}

export function startRotation(setup: RotationSetup, ctx: BuildContext): RotationReader {
  const url = new URL(setup.queueUrl);
  const reader = new RotationReader({
    instance: ctx.instance,
    queueLabel: `${url.host}${url.pathname}`,
    client: new QueueClient(setup.queueUrl, setup.credential, { retryOptions: { maxTries: 1 } }),
    vaultHosts: setup.vaultUrls.map((u) => new URL(u).host),
    who: describeIdentity(setup.credential.spec),
    target: setup.target,
    log: ctx.log,
    metrics: ctx.metrics ?? noMetrics,
    ...(ctx.health && { health: ctx.health }),
    ...(setup.pollMs !== undefined && { pollMs: setup.pollMs }),
  });
  reader.start();
  ctx.log.info({ queue: `${url.host}${url.pathname}` }, "reading Key Vault rotation events");
  return reader;
}
