/**
 * What the sample remembers, in state.keyless through Dapr: one record per processed message and running
 * counts. A message is recorded with first-write concurrency and the counts are updated with the etag
 * read before, both in one transaction: either the message is counted exactly once or not at all.
 * All keys live under the app's own prefix, so on the tables backend they share one partition.
 */
import { StateConcurrencyEnum, StateConsistencyEnum, type DaprClient } from "@dapr/dapr";

/*
 * @dapr/dapr 3.18's gRPC transaction turns each value into bytes with Buffer.from(value) and each etag into
 * a string with etag.toString(), although its types say "any" and { value }: so values go in as JSON text
 * and etags as plain strings.
 */
type SdkEtag = { value: string };
const etagArg = (etag: string) => etag as unknown as SdkEtag;

export interface Stats {
  processed: number;
  duplicates: number;
  lastMessageId?: string;
  lastProcessedAt?: string;
}

export interface MessageRecord {
  messageId: string;
  text: string;
  processedAt: string;
  dequeueCount: number;
}

const STATS_KEY = "stats";
const messageKey = (id: string) => `message-${id}`;
const EMPTY: Stats = { processed: 0, duplicates: 0 };

export class Ledger {
  constructor(
    private readonly dapr: DaprClient,
    private readonly store: string,
  ) {}

  /** Counts and the etag they were read with. */
  async stats(): Promise<{ stats: Stats; etag?: string }> {
    const [item] = (await this.dapr.state.getBulk(this.store, [STATS_KEY])) as {
      data?: Stats;
      etag?: string;
    }[];
    return item?.data ? { stats: item.data, ...(item.etag && { etag: item.etag }) } : { stats: { ...EMPTY } };
  }

  async message(id: string): Promise<MessageRecord | undefined> {
    const v = await this.dapr.state.get(this.store, messageKey(id));
    return v && typeof v === "object" ? (v as unknown as MessageRecord) : undefined;
  }

  /**
   * Records a message and counts it, atomically. Returns "duplicate" when the message was already
   * recorded (a redelivery after a crash between this write and the queue delete).
   */
  async record(msg: MessageRecord): Promise<"recorded" | "duplicate"> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 10; attempt++) {
      if (await this.message(msg.messageId)) {
        await this.countDuplicate();
        return "duplicate";
      }
      const { stats, etag } = await this.stats();
      const next: Stats = {
        ...stats,
        processed: stats.processed + 1,
        lastMessageId: msg.messageId,
        lastProcessedAt: msg.processedAt,
      };
      try {
        await this.dapr.state.transaction(this.store, [
          {
            operation: "upsert",
            request: {
              key: messageKey(msg.messageId),
              value: JSON.stringify(msg),
              options: {
                concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE,
                consistency: StateConsistencyEnum.CONSISTENCY_STRONG,
              },
            },
          },
          {
            operation: "upsert",
            request: {
              key: STATS_KEY,
              value: JSON.stringify(next),
              ...(etag && { etag: etagArg(etag) }),
              ...(!etag && {
                options: {
                  concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE,
                  consistency: StateConsistencyEnum.CONSISTENCY_STRONG,
                },
              }),
            },
          },
        ]);
        return "recorded";
      } catch (e) {
        // Another worker moved the counts on, or recorded the message first: look again.
        lastError = e;
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
    throw new Error(
      `could not record message ${msg.messageId} after 10 attempts: ${(lastError as Error)?.message}`,
    );
  }

  private async countDuplicate(): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const { stats, etag } = await this.stats();
      try {
        await this.dapr.state.save(this.store, [
          {
            key: STATS_KEY,
            value: { ...stats, duplicates: stats.duplicates + 1 },
            ...(etag && { etag }),
          },
        ]);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
  }
}
