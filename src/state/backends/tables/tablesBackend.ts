/**
 * Azure Storage Tables backend (also Cosmos DB's Table API) through @azure/data-tables.
 *
 * The parts: tablesEntity.ts (how an item is stored), tablesAuth.ts (which auth the metadata asks for),
 * tablesConnection.ts (endpoint, transport rule), tablesTransaction.ts (entity-group transactions). Calls
 * go through identity/azureCaller.ts (deadlines, a renewed token after a 401; throttling and 5xx are
 * retried by the SDK's own policy). Failures are read once by errors/azureFailure.ts, classified by
 * tablesFailure.ts and worded by errors/state.ts.
 *
 * Concurrency maps to conditional requests: an etag -> If-Match (412, or 404 for the entity itself =
 * mismatch), first-write without an etag -> insert-only (409 = conflict). A 404 `TableNotFound` is never
 * a conflict: it is the table that is missing. Tombstones and expired rows are invisible at once and
 * removed by the sweep.
 */
import type { TableClient } from "@azure/data-tables";
import { describeAzureFailure } from "../../../errors/azureFailure.js";
import { stateErrors } from "../../../errors/state.js";
import { isKeylessError, type KeylessError } from "../../../errors/keylessError.js";
import { AzureCaller } from "../../../identity/azureCaller.js";
import { STORAGE_SCOPE } from "../../../identity/tokenScopes.js";
import { errorField, type Logger } from "../../../observability/logger.js";
import { SingleFlight } from "../../../util/singleFlight.js";
import type { Backend, WriteOp } from "../../backend.js";
import type { TablesAuth } from "./tablesAuth.js";
import { planConnection, type ConnectionPlan } from "./tablesConnection.js";
import { classifyTablesFailure } from "./tablesFailure.js";
import { toTableKey } from "./tablesKey.js";
import {
  CHUNK,
  decodeEtag,
  entityOf,
  etagExpired,
  isValidEtag,
  itemOf,
  MAX_CHUNKS,
  type Row,
} from "./tablesEntity.js";
import { MAX_BATCH, runTransaction } from "./tablesTransaction.js";

const MAX_KEY_PART = 512; // Azurite's limit; the service allows 1 KiB
const PARALLELISM = 8;
const SWEEP_BATCH = 1000;
const SWEEP_MAX_BATCHES = 50;

export interface TablesBackendOptions {
  instance: string;
  auth: TablesAuth;
  table: string;
  skipCreateTable: boolean;
  cleanupIntervalMs: number;
  timeoutMs: number;
  now: () => number;
  log: Logger;
}

/** The entity's own not-found (a missing row), as opposed to a missing table. */
function isEntityNotFound(e: unknown): boolean {
  const f = describeAzureFailure(e);
  return f.status === 404 && f.serviceCode !== "TableNotFound";
}

async function pool<T, R>(items: readonly T[], fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLELISM, items.length) }, worker));
  return out;
}

class TablesBackend implements Backend {
  readonly kind = "tables";
  readonly maxTransactionOps = MAX_BATCH;
  readonly maxValueBytes = CHUNK * MAX_CHUNKS;
  readonly etagShape = "an etag this store returned";
  readonly isValidEtag = isValidEtag;
  private readonly caller: AzureCaller<TableClient>;
  private readonly where: string;
  private readonly sweeps = new SingleFlight<"sweep", number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly opts: TablesBackendOptions,
    private readonly connection: ConnectionPlan,
  ) {
    const { credential } = connection;
    this.caller = new AzureCaller({
      makeClient: connection.makeClient,
      timeoutMs: opts.timeoutMs,
      ...(credential && { renewal: { credential, scope: STORAGE_SCOPE } }),
    });
    this.where = `table ${opts.table} at ${connection.endpoint}`;
  }

  fail = (op: string, e: unknown): KeylessError => {
    const { instance, skipCreateTable } = this.opts;
    if (isKeylessError(e)) {
      return stateErrors.backendStepFailed({ instance, op, where: this.where, cause: e });
    }
    const who = this.connection.who;
    const failure = classifyTablesFailure(describeAzureFailure(e), { signer: who.kind, skipCreateTable });
    return stateErrors.tablesFailed({ instance, op, where: this.where, who, failure, cause: e });
  };

  /** Init: create the table unless told not to, then one cheap read that proves access. */
  async start(): Promise<void> {
    try {
      if (!this.opts.skipCreateTable) await this.caller.call((c, o) => c.createTable(o));
      await this.readRow("~keyless-probe||probe", "the start-up check");
    } catch (e) {
      throw isKeylessError(e) ? e : this.fail("the start-up check", e);
    }
    this.timer = setInterval(() => {
      void this.sweep();
    }, this.opts.cleanupIntervalMs);
    this.timer.unref();
  }

  readRow = async (key: string, op = "a read"): Promise<Row | undefined> => {
    const { partitionKey, rowKey } = toTableKey(key);
    try {
      return await this.caller.call((c, o) => c.getEntity<Record<string, unknown>>(partitionKey, rowKey, o));
    } catch (e) {
      if (isEntityNotFound(e)) return undefined;
      throw this.fail(op, e);
    }
  };

  checkKey(key: string): void {
    const k = toTableKey(key);
    if (k.partitionKey.length > MAX_KEY_PART || k.rowKey.length > MAX_KEY_PART) {
      throw stateErrors.keyNotStorable(
        this.opts.instance,
        key,
        `after escaping, each of its two parts must be at most ${MAX_KEY_PART} characters`,
      );
    }
  }

  async get(key: string) {
    const row = await this.readRow(key);
    return row ? itemOf(row, this.opts.now()) : undefined;
  }

  bulkGet(keys: readonly string[]) {
    return pool(keys, (k) => this.get(k));
  }

  async transact(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length === 1) {
      const err = await this.applyOne(ops[0]!);
      if (err) throw err;
      return;
    }
    await runTransaction(
      {
        instance: this.opts.instance,
        caller: this.caller,
        now: this.opts.now,
        readRow: (k) => this.readRow(k),
        fail: this.fail,
      },
      ops,
    );
  }

  applyEach(ops: readonly WriteOp[]) {
    return pool(ops, (op) => this.applyOne(op));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  private async applyOne(op: WriteOp): Promise<Error | undefined> {
    const { partitionKey, rowKey } = toTableKey(op.key);
    if (op.etag !== undefined && etagExpired(op.etag, this.opts.now()))
      return stateErrors.etagMissingRow(op.key);
    try {
      if (op.kind === "delete") {
        const etag = op.etag === undefined ? undefined : decodeEtag(op.etag);
        await this.caller.call((c, o) =>
          c.deleteEntity(partitionKey, rowKey, { ...o, ...(etag && { etag }) }),
        );
        return undefined;
      }
      const entity = entityOf(op.key, op, this.opts.now());
      if (op.etag !== undefined) {
        const etag = decodeEtag(op.etag);
        await this.caller.call((c, o) => c.updateEntity(entity, "Replace", { ...o, etag }));
      } else if (op.firstWrite) {
        return await this.createOnly(op.key, entity);
      } else {
        await this.caller.call((c, o) => c.upsertEntity(entity, "Replace", o));
      }
      return undefined;
    } catch (e) {
      const f = describeAzureFailure(e);
      const entityGone = f.status === 404 && f.serviceCode !== "TableNotFound";
      if (op.kind === "delete" && op.etag === undefined && entityGone) return undefined; // already gone
      if (op.etag !== undefined && (f.status === 412 || entityGone)) {
        return entityGone ? stateErrors.etagMissingRow(op.key) : stateErrors.etagMismatch(op.key);
      }
      return this.fail(op.kind === "delete" ? "a delete" : "a write", e);
    }
  }

  /** Insert-only; an expired row (or tombstone) counts as absent and is replaced if nobody else did. */
  private async createOnly(key: string, entity: ReturnType<typeof entityOf>): Promise<Error | undefined> {
    try {
      await this.caller.call((c, o) => c.createEntity(entity, o));
      return undefined;
    } catch (e) {
      if (describeAzureFailure(e).status !== 409) throw e;
    }
    const current = await this.readRow(key);
    if (!current || itemOf(current, this.opts.now()) !== undefined)
      return stateErrors.firstWriteConflict(key);
    try {
      await this.caller.call((c, o) => c.updateEntity(entity, "Replace", { ...o, etag: current.etag }));
      return undefined;
    } catch (e) {
      const f = describeAzureFailure(e);
      if (f.status === 412 || (f.status === 404 && f.serviceCode !== "TableNotFound"))
        return stateErrors.firstWriteConflict(key);
      throw e;
    }
  }

  /**
   * Deletes expired rows and tombstones, SWEEP_BATCH at a time with PARALLELISM deletes in flight, until
   * none is left or SWEEP_MAX_BATCHES ran: a purge of many workflows leaves thousands of tombstones, and
   * one batch per interval would fall behind them.
   */
  sweep(): Promise<number> {
    return this.sweeps.run("sweep", () => this.sweepBatches());
  }

  private async sweepBatches(): Promise<number> {
    let removed = 0;
    try {
      for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
        const rows = await this.expiredRows();
        await pool(rows, (r) =>
          this.caller
            .call((c, o) => c.deleteEntity(r.partitionKey, r.rowKey, { ...o, etag: r.etag }))
            .catch(() => undefined),
        );
        removed += rows.length;
        if (rows.length < SWEEP_BATCH) break;
      }
      if (removed > 0) this.opts.log.debug({ removed }, "removed expired state entities");
    } catch (e) {
      this.opts.log.warn(
        { err: errorField(this.fail("the expiry sweep", e)) },
        "expired-entity sweep failed; will retry",
      );
    }
    return removed;
  }

  private async expiredRows(): Promise<{ partitionKey: string; rowKey: string; etag: string }[]> {
    const filter = `exp le ${Math.floor(this.opts.now())}L`; // exp is Int64: the literal needs the L suffix
    return this.caller.call(async (c, o) => {
      const out: { partitionKey: string; rowKey: string; etag: string }[] = [];
      const rows = c.listEntities<Record<string, unknown>>({
        ...o,
        queryOptions: { filter, select: ["PartitionKey", "RowKey"] },
      });
      for await (const r of rows) {
        if (r.partitionKey === undefined || r.rowKey === undefined) continue;
        out.push({ partitionKey: r.partitionKey, rowKey: r.rowKey, etag: r.etag });
        if (out.length >= SWEEP_BATCH) break;
      }
      return out;
    });
  }
}

export async function openTablesBackend(opts: TablesBackendOptions): Promise<Backend> {
  const backend = new TablesBackend(opts, planConnection(opts.instance, opts.table, opts.auth));
  await backend.start();
  return backend;
}
