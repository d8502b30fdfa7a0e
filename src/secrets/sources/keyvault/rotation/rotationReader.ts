/**
 * Reads the Key Vault events Event Grid delivers to a Storage Queue, with the instance's own identity,
 * and acts on them:
 * - SecretNewVersionCreated for a secret this instance holds: refreshed at once (the message is deleted
 *   once the new value is cached; if the vault fails, the message comes back after its visibility timeout);
 * - SecretNearExpiry / SecretExpired: a warning, counted;
 * - other events, other vaults and malformed messages: deleted with a log line; they never stop the reader;
 * - a queue that cannot be read: a warning at most once a minute, a not-ready reason while it lasts, and
 *   retries with a growing pause (up to 30 s); never a crash.
 * Every replica of an app needs its own queue: a message is consumed by one reader.
 */
import type { QueueClient } from "@azure/storage-queue";
import { describeAzureFailure } from "../../../../errors/azureFailure.js";
import type { HealthBoard } from "../../../../observability/healthBoard.js";
import { errorField, type Logger } from "../../../../observability/logger.js";
import type { Metrics } from "../../../../observability/metrics.js";
import { abortablePause } from "../../../../util/abortablePause.js";
import { readMessage, type SecretEvent } from "./keyVaultEvent.js";
import { rotationQueueFailure } from "./queueFailure.js";
import { getEventListeners } from "node:events";

const listenerCount = (signal: AbortSignal) => getEventListeners(signal, "abort").length;

const BATCH = 32;
const VISIBILITY_S = 60;
const MAX_BACKOFF_MS = 30_000;
const WARN_EVERY_MS = 60_000;
/** A message whose refresh failed this many times is dropped (refresh-ahead still catches the rotation). */
const MAX_DEQUEUES = 5;

export interface RotationTarget {
  /** Refreshes every held secret whose Key Vault name is `vaultSecretName`; how many were refreshed. */
  refreshByVaultName(vaultSecretName: string): Promise<number>;
}

export interface RotationReaderOptions {
  instance: string;
  /** `<service>/<queue>` without query, for messages. */
  queueLabel: string;
  client: QueueClient;
  /** The vaults' hosts; events for another vault are foreign (loopback stand-ins accept any vault name). */
  vaultHosts: readonly string[];
  who: string;
  target: RotationTarget;
  log: Logger;
  metrics: Metrics;
  health?: HealthBoard;
  pollMs?: number;
  /** First pause after a failure (doubling up to 30 s); tests shorten it. */
  firstBackoffMs?: number;
  now?: () => number;
}

export class RotationReader {
  private stopped = false;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private lastWarnAt = -Infinity;
  private suppressed = 0;
  private failing = false;
  private readonly healthKey: string;

  constructor(private readonly opts: RotationReaderOptions) {
    this.healthKey = `rotationQueue/${opts.instance}`;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Abort listeners on the reader's own signal now (a test checks it stays flat over many polls). */
  get abortListeners(): number {
    return listenerCount(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.opts.health?.set(this.healthKey, undefined);
    await this.running;
  }

  /** One receive: handles and deletes what came; returns how many messages came. */
  async once(): Promise<number> {
    const r = await this.opts.client.receiveMessages({
      numberOfMessages: BATCH,
      visibilityTimeout: VISIBILITY_S,
      abortSignal: this.abort.signal,
    });
    for (const m of r.receivedMessageItems) {
      if (this.stopped) break;
      const done = await this.handle(m.messageText, m.dequeueCount);
      if (done) await this.delete(m.messageId, m.popReceipt);
    }
    return r.receivedMessageItems.length;
  }

  /** Deletes a handled message; one already gone (another reader, an expired pop receipt) is fine. */
  private async delete(id: string, popReceipt: string): Promise<void> {
    try {
      await this.opts.client.deleteMessage(id, popReceipt, { abortSignal: this.abort.signal });
    } catch (e) {
      if (describeAzureFailure(e).status !== 404) throw e;
    }
  }

  private async loop(): Promise<void> {
    const first = this.opts.firstBackoffMs ?? 1_000;
    let backoff = first;
    while (!this.stopped) {
      let pause = this.opts.pollMs ?? 1_000;
      try {
        const n = await this.once();
        this.recovered();
        backoff = first;
        if (n > 0) pause = 0;
      } catch (e) {
        if (this.stopped) break;
        this.failed(e);
        pause = backoff;
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
      if (pause > 0) await this.sleep(pause);
    }
  }

  /** Whether the message is dealt with (delete it). */
  private async handle(text: string, dequeueCount: number): Promise<boolean> {
    const { log, metrics, instance } = this.opts;
    const read = readMessage(text);
    if (read.kind !== "events") {
      metrics.rotationEvent(instance, read.kind);
      log.info(
        { queue: this.opts.queueLabel, reason: read.kind === "foreign" ? read.what : read.why },
        `deleting a ${read.kind} message from the rotation queue`,
      );
      return true;
    }
    for (const event of read.events) {
      if (!this.ours(event)) {
        metrics.rotationEvent(instance, "foreign");
        log.info(
          { queue: this.opts.queueLabel, vault: event.vaultName },
          "deleting an event for another vault",
        );
        continue;
      }
      metrics.rotationEvent(instance, event.type);
      if (!event.type.endsWith("NewVersionCreated")) {
        log.warn(
          { secretName: event.secretName, version: event.version },
          event.type.endsWith("Expired")
            ? `${event.object} ${event.secretName} expired in the vault`
            : `${event.object} ${event.secretName} expires soon in the vault`,
        );
        continue;
      }
      try {
        const n = await this.opts.target.refreshByVaultName(event.secretName);
        log.info(
          { secretName: event.secretName, version: event.version, refreshed: n },
          n > 0
            ? `rotation event: refreshed secret ${event.secretName}`
            : `rotation event for secret ${event.secretName}, which this instance does not hold`,
        );
      } catch (e) {
        if (dequeueCount < MAX_DEQUEUES) {
          log.warn(
            { secretName: event.secretName, err: errorField(e) },
            "refreshing a rotated secret failed; the event is read again shortly",
          );
          return false;
        }
        log.warn(
          { secretName: event.secretName, err: errorField(e), dequeueCount },
          "refreshing a rotated secret kept failing; dropping the event (refresh-ahead still picks the version up)",
        );
      }
    }
    return true;
  }

  private ours(event: SecretEvent): boolean {
    return this.opts.vaultHosts.some((h) => {
      const host = h.replace(/:\d+$/, "");
      if (/^[\d.]+$|^\[|^localhost$/.test(host)) return true;
      return host.split(".")[0]!.toLowerCase() === event.vaultName.toLowerCase();
    });
  }

  private failed(e: unknown): void {
    const err = rotationQueueFailure({
      instance: this.opts.instance,
      queue: this.opts.queueLabel,
      who: this.opts.who,
      failure: describeAzureFailure(e),
      cause: e,
    });
    this.failing = true;
    this.opts.health?.set(this.healthKey, err.message);
    const now = (this.opts.now ?? Date.now)();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.opts.log.warn(
      { queue: this.opts.queueLabel, code: err.code, repeatedSinceLastWarning: this.suppressed },
      `${err.message}; rotation events are not read until it works (retrying)`,
    );
    this.lastWarnAt = now;
    this.suppressed = 0;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.lastWarnAt = -Infinity;
    this.suppressed = 0;
    this.opts.health?.set(this.healthKey, undefined);
    this.opts.log.info({ queue: this.opts.queueLabel }, "the rotation queue is readable again");
  }

  /** A pause that ends early on stop(); its abort listener goes with it, however it ends. */
  private sleep(ms: number): Promise<void> {
    return abortablePause(ms, this.abort.signal, { unref: true });
  }
}
