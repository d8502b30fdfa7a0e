/**
 * Azure Storage Tables backend (also Cosmos DB's Table API) through @azure/data-tables.
 *
 * Entities: PartitionKey/RowKey from tablesKey.ts; the value as up to 15 binary properties of 64 KiB
 * (v0..v14, "n" says how many) so values up to 960 KiB fit an entity; "ct" the content type; "exp" the
 * expiry (epoch ms, Int64). ETags are the service's own, handed to Dapr base64url-encoded.
 *
 * Concurrency maps to conditional requests: an etag -> If-Match (412/404 = mismatch), first-write without
 * an etag -> insert-only (409 = conflict). Transactions run as one entity-group transaction (same
 * partition, at most 100 keys); inside one, deletes are written as already-expired tombstones, because
 * the SDK's batch delete takes no etag and fails on a missing row. Tombstones and expired rows are
 * invisible at once and removed by the sweep.
 */
import type { TokenCredential } from "@azure/identity";
import {
  AzureNamedKeyCredential,
  TableClient,
  type TableEntity,
  type TransactionAction,
} from "@azure/data-tables";
import { errors } from "../../errors/catalog.js";
import { KeylessError } from "../../errors/keylessError.js";
import type { Logger } from "../../observability/logger.js";
import type { Backend, SetOp, StoredItem, WriteOp } from "../backend.js";
import { toTableKey } from "../tablesKey.js";

const CHUNK = 64 * 1024;
const MAX_CHUNKS = 15;
const MAX_KEY_PART = 512; // Azurite's limit; the service allows 1 KiB
const PARALLELISM = 8;
const MAX_BATCH = 100;

export type TablesAuth =
  | { kind: "token"; endpoint: string; credential: TokenCredential; describe: string }
  | { kind: "connectionString"; connectionString: string }
  | { kind: "sharedKey"; endpoint: string; accountName: string; accountKey: string };

export interface TablesBackendOptions {
  instance: string;
  auth: TablesAuth;
  table: string;
  skipCreateTable: boolean;
  cleanupIntervalMs: number;
  timeoutMs: number;
  now: () => number;
  log: Logger;
  /** Test seam: allow http:// endpoints (Azurite without TLS); never set in production paths. */
  allowInsecureConnection?: boolean;
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  name?: string;
  details?: { errorCode?: string };
  response?: { headers?: { get(n: string): string | undefined } };
}

const encodeEtag = (e: string) => Buffer.from(e, "utf8").toString("base64url");
const decodeEtag = (e: string) => Buffer.from(e, "base64url").toString("utf8");
const SERVICE_ETAG = /^W\/"datetime'[^']+'"$|^W\/"[^"]+"$/;

function entityOf(key: string, op: SetOp | undefined, now: number): TableEntity<Record<string, unknown>> {
  const { partitionKey, rowKey } = toTableKey(key);
  if (!op) {
    return { partitionKey, rowKey, n: 0, exp: { value: String(now), type: "Int64" } };
  }
  const e: TableEntity<Record<string, unknown>> = {
    partitionKey,
    rowKey,
    n: Math.ceil(op.value.length / CHUNK),
  };
  for (let i = 0; i * CHUNK < op.value.length; i++) {
    e[`v${i}`] = new Uint8Array(op.value.subarray(i * CHUNK, (i + 1) * CHUNK));
  }
  if (op.contentType) e.ct = op.contentType;
  if (op.expiresAt !== undefined) e.exp = { value: String(op.expiresAt), type: "Int64" };
  return e;
}

function expiresOf(e: Record<string, unknown>): number | undefined {
  const exp = e.exp as { value?: string } | number | string | undefined;
  if (exp === undefined || exp === null) return undefined;
  const n = typeof exp === "object" ? Number(exp.value) : Number(exp);
  return Number.isFinite(n) ? n : undefined;
}

function itemOf(e: Record<string, unknown> & { etag?: string }, now: number): StoredItem | undefined {
  const expiresAt = expiresOf(e);
  if (expiresAt !== undefined && expiresAt <= now) return undefined;
  const n = Number(e.n ?? 0);
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const v = e[`v${i}`];
    parts.push(v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0));
  }
  return {
    value: Buffer.concat(parts),
    etag: encodeEtag(String(e.etag ?? "")),
    contentType: typeof e.ct === "string" ? e.ct : "",
    expiresAt,
  };
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

export async function openTablesBackend(opts: TablesBackendOptions): Promise<Backend> {
  const { instance, now, log } = opts;
  const clientOptions = {
    retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 4000 },
    ...(opts.allowInsecureConnection && { allowInsecureConnection: true }),
  };
  const client =
    opts.auth.kind === "connectionString"
      ? TableClient.fromConnectionString(opts.auth.connectionString, opts.table, clientOptions)
      : opts.auth.kind === "sharedKey"
        ? new TableClient(
            opts.auth.endpoint,
            opts.table,
            new AzureNamedKeyCredential(opts.auth.accountName, opts.auth.accountKey),
            clientOptions,
          )
        : new TableClient(opts.auth.endpoint, opts.table, opts.auth.credential, clientOptions);
  const who = opts.auth.kind === "token" ? opts.auth.describe : "the shared key in the connection string";
  const where = `table ${opts.table} at ${client.url}`;

  const fail = (op: string, e: unknown): KeylessError => {
    if (e instanceof KeylessError) {
      return new KeylessError(e.code, `state instance "${instance}": ${op} on ${where}: ${e.message}`, {
        cause: e,
        transient: e.transient,
      });
    }
    const r = e as RestErrorLike;
    const status = r.statusCode;
    const code = r.details?.errorCode;
    let reason: string;
    let transient = false;
    if (status === 403 || status === 401) {
      reason =
        opts.auth.kind === "token"
          ? `${who} is not allowed (HTTP ${status}${code ? ` ${code}` : ""}); grant it the "Storage Table Data Contributor" role on the storage account or table`
          : `the storage account refused the shared key (HTTP ${status}${code ? ` ${code}` : ""})`;
    } else if (status === 404 && code === "TableNotFound") {
      reason = `the table does not exist${opts.skipCreateTable ? " and skipCreateTable is set; create it or let keyless create it" : ""}`;
    } else if (status !== undefined && (status >= 500 || status === 429)) {
      reason = `the service is busy or failing (HTTP ${status}${code ? ` ${code}` : ""})`;
      transient = true;
    } else if (status === undefined) {
      reason = `the service is unreachable${r.code ? ` (${r.code})` : ""}`;
      transient = true;
    } else {
      reason = `HTTP ${status}${code ? ` ${code}` : ""}`;
    }
    return new KeylessError(
      "BACKEND_FAILED",
      `state instance "${instance}": ${op} on ${where} failed: ${reason}`,
      {
        cause: e,
        transient,
      },
    );
  };
  const timeout = () => ({ abortSignal: AbortSignal.timeout(opts.timeoutMs) });

  // Init: create the table unless told not to, then one cheap read that proves access.
  try {
    if (!opts.skipCreateTable) await client.createTable(timeout());
    await client.getEntity("~keyless-probe", "probe", timeout()).catch((e: RestErrorLike) => {
      if (e.statusCode !== 404 || e.details?.errorCode === "TableNotFound") throw e;
    });
  } catch (e) {
    throw fail("the start-up check", e);
  }

  async function readEntity(key: string): Promise<(Record<string, unknown> & { etag?: string }) | undefined> {
    const { partitionKey, rowKey } = toTableKey(key);
    try {
      return (await client.getEntity(partitionKey, rowKey, timeout())) as Record<string, unknown> & {
        etag?: string;
      };
    } catch (e) {
      if (
        (e as RestErrorLike).statusCode === 404 &&
        (e as RestErrorLike).details?.errorCode !== "TableNotFound"
      ) {
        return undefined;
      }
      throw fail("a read", e);
    }
  }

  const isConflict = (e: unknown) => {
    const s = (e as RestErrorLike).statusCode;
    return s === 412 || s === 404 || s === 409;
  };

  async function applyOne(op: WriteOp): Promise<Error | undefined> {
    const { partitionKey, rowKey } = toTableKey(op.key);
    try {
      if (op.kind === "delete") {
        await client.deleteEntity(partitionKey, rowKey, {
          ...timeout(),
          ...(op.etag !== undefined && { etag: decodeEtag(op.etag) }),
        });
        return undefined;
      }
      const entity = entityOf(op.key, op, now());
      if (op.etag !== undefined) {
        await client.updateEntity(entity, "Replace", { ...timeout(), etag: decodeEtag(op.etag) });
      } else if (op.firstWrite) {
        try {
          await client.createEntity(entity, timeout());
        } catch (e) {
          if ((e as RestErrorLike).statusCode !== 409) throw e;
          // An expired row (or tombstone) counts as absent: replace it, if nobody else did meanwhile.
          const current = await readEntity(op.key);
          if (!current || itemOf(current, now()) !== undefined) return errors.firstWriteConflict(op.key);
          await client.updateEntity(entity, "Replace", { ...timeout(), etag: String(current.etag) });
        }
      } else {
        await client.upsertEntity(entity, "Replace", timeout());
      }
      return undefined;
    } catch (e) {
      if (isConflict(e)) {
        if (op.kind === "delete" && op.etag === undefined) return undefined; // already gone
        return op.etag === undefined ? errors.firstWriteConflict(op.key) : errors.etagMismatch(op.key);
      }
      return fail(op.kind === "delete" ? "a delete" : "a write", e);
    }
  }

  async function transact(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const partitions = new Set(ops.map((o) => toTableKey(o.key).partitionKey));
    if (partitions.size > 1) throw errors.transactionSpansPartitions(instance, partitions.size);
    if (ops.length === 1) {
      const err = await applyOne(ops[0]!);
      if (err) throw err;
      return;
    }
    // One action per key: the first operation's condition, the last operation's outcome.
    const byKey = new Map<string, { first: WriteOp; last: WriteOp }>();
    for (const op of ops) {
      const e = byKey.get(op.key);
      if (!e) byKey.set(op.key, { first: op, last: op });
      else {
        // A later condition refers to a version this transaction itself writes; no caller can know it.
        if (op.etag !== undefined) throw errors.etagMismatch(op.key);
        e.last = op;
      }
    }
    if (byKey.size > MAX_BATCH) throw errors.transactionTooLarge(instance, byKey.size, MAX_BATCH);
    const at = now();
    const actions: TransactionAction[] = [];
    for (const [key, { first, last }] of byKey) {
      const entity = entityOf(key, last.kind === "set" ? last : undefined, at);
      if (first.etag !== undefined)
        actions.push(["update", entity, "Replace", { etag: decodeEtag(first.etag) }]);
      else if (first.kind === "set" && (first as SetOp).firstWrite) actions.push(["create", entity]);
      else actions.push(["upsert", entity, "Replace"]);
    }
    try {
      await client.submitTransaction(actions, timeout());
    } catch (e) {
      if (!isConflict(e)) throw fail("a transaction", e);
      // Insert-only actions also collide with expired rows and tombstones, which count as absent:
      // turn those into conditional replaces and try once more.
      const retry = await replaceExpiredCreates(actions);
      if (retry) {
        try {
          await client.submitTransaction(retry, timeout());
          return;
        } catch (e2) {
          if (!isConflict(e2)) throw fail("a transaction", e2);
        }
      }
      const first = [...byKey.values()].find(
        (v) => v.first.etag !== undefined || (v.first as SetOp).firstWrite,
      );
      throw first?.first.etag !== undefined
        ? errors.etagMismatch(first.first.key)
        : errors.firstWriteConflict(first?.first.key ?? "");
    }
  }

  /** The actions with every "create" whose row exists but has expired replaced by an etag-guarded update. */
  async function replaceExpiredCreates(
    actions: TransactionAction[],
  ): Promise<TransactionAction[] | undefined> {
    let changed = false;
    const out: TransactionAction[] = [];
    for (const a of actions) {
      if (a[0] !== "create") {
        out.push(a);
        continue;
      }
      const entity = a[1];
      const current = await client
        .getEntity(entity.partitionKey, entity.rowKey, timeout())
        .catch(() => undefined);
      if (current && itemOf(current as Record<string, unknown> & { etag?: string }, now()) === undefined) {
        out.push(["update", entity, "Replace", { etag: String(current.etag) }]);
        changed = true;
      } else {
        out.push(a);
      }
    }
    return changed ? out : undefined;
  }

  const sweep = async () => {
    let removed = 0;
    try {
      const rows = client.listEntities<Record<string, unknown>>({
        // exp is an Int64 property; the literal needs the L suffix.
        queryOptions: { filter: `exp le ${Math.floor(now())}L`, select: ["PartitionKey", "RowKey"] },
      });
      for await (const r of rows) {
        await client.deleteEntity(r.partitionKey!, r.rowKey!, { etag: r.etag }).catch(() => undefined);
        if (++removed >= 1000) break;
      }
      if (removed > 0) log.debug({ removed }, "removed expired state entities");
    } catch (e) {
      log.warn({ err: fail("the expiry sweep", e).message }, "expired-entity sweep failed; will retry");
    }
  };
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void sweep().finally(() => (sweeping = false));
  }, opts.cleanupIntervalMs);
  timer.unref();

  return {
    kind: "tables",
    maxTransactionOps: MAX_BATCH,
    maxValueBytes: CHUNK * MAX_CHUNKS,
    isValidEtag: (etag) => /^[A-Za-z0-9_-]+$/.test(etag) && SERVICE_ETAG.test(decodeEtag(etag)),
    etagShape: "an etag this store returned",
    checkKey(key) {
      const k = toTableKey(key);
      if (k.partitionKey.length > MAX_KEY_PART || k.rowKey.length > MAX_KEY_PART) {
        throw errors.keyNotStorable(
          instance,
          key,
          `after escaping, each of its two parts must be at most ${MAX_KEY_PART} characters`,
        );
      }
    },
    get: async (key) => {
      const e = await readEntity(key);
      return e ? itemOf(e, now()) : undefined;
    },
    bulkGet: async (keys) =>
      pool(keys, async (k) => {
        const e = await readEntity(k);
        return e ? itemOf(e, now()) : undefined;
      }),
    transact,
    applyEach: (ops) => pool(ops, (op) => applyOne(op)),
    close: async () => clearInterval(timer),
  };
}
