/**
 * The queue loop: receive, record in state, and only then delete the message. A crash in between loses
 * nothing (the message becomes visible again) and counts nothing twice (the ledger sees the duplicate).
 */
import type { QueueClient } from "@azure/storage-queue";
import type { QueueReaderConfig } from "./config.js";
import type { Ledger } from "./ledger.js";

export interface Worker {
  stop(): Promise<void>;
  lastError(): string | undefined;
}

export function startWorker(
  cfg: QueueReaderConfig,
  queue: QueueClient,
  ledger: Ledger,
  log: (m: string) => void,
): Worker {
  let stopping = false;
  let lastError: string | undefined;
  const loop = (async () => {
    while (!stopping) {
      try {
        const batch = await queue.receiveMessages({
          numberOfMessages: 16,
          visibilityTimeout: cfg.visibilityTimeoutSeconds,
        });
        for (const m of batch.receivedMessageItems) {
          if (stopping) break;
          const outcome = await ledger.record({
            messageId: m.messageId,
            text: m.messageText,
            processedAt: new Date().toISOString(),
            dequeueCount: m.dequeueCount,
          });
          if (cfg.crashAfterStateWrite) {
            log(`crashing on purpose after recording ${m.messageId} (QUEUEREADER_CRASH_AFTER_STATE_WRITE=1)`);
            process.exit(137);
          }
          await queue.deleteMessage(m.messageId, m.popReceipt);
          log(`${outcome === "recorded" ? "processed" : "skipped duplicate"} ${m.messageId}`);
        }
        lastError = undefined;
        if (batch.receivedMessageItems.length === 0)
          await new Promise((r) => setTimeout(r, cfg.pollIntervalMs));
      } catch (e) {
        lastError = (e as Error).message;
        log(`queue loop error (will retry): ${lastError}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
    },
    lastError: () => lastError,
  };
}
