/**
 * Embedded SQLite backend (better-sqlite3). One database file per instance by default (opened in
 * sqliteFile.ts); WAL mode, so an acknowledged write is in the WAL before the RPC returns and survives
 * `kill -9` of keyless. Statements in sqliteStatements.ts. Expired rows are invisible at once and removed
 * by a background sweep.
 */
import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { stateErrors } from "../../errors/state.js";
import { isKeylessError } from "../../errors/keylessError.js";
import { errorField, type Logger } from "../../observability/logger.js";
import { ETAG_PATTERN, type Backend, type StoredItem, type WriteOp } from "../backend.js";
import { openDatabaseFile } from "./sqliteFile.js";
import { GroupCommit } from "./sqliteGroupCommit.js";
import { CLEANUP_BATCH, prepareTable, toItem, type RowWrite, type Statements } from "./sqliteStatements.js";

export interface SqliteBackendOptions {
  instance: string;
  file: string;
  table: string;
  synchronous: "normal" | "full";
  busyTimeoutMs: number;
  cleanupIntervalMs: number;
  now: () => number;
  log: Logger;
}

// An ETag is 32 hex digits: a random prefix per process, then a counter. Unique across restarts and
// instances without drawing randomness per write; ETags guard concurrency and are not secrets.
const ETAG_PREFIX = randomBytes(8).toString("hex");
let etagCounter = 0;

export function newEtag(): string {
  return ETAG_PREFIX + (++etagCounter).toString(16).padStart(16, "0");
}

class SqliteBackend implements Backend {
  readonly kind = "sqlite";
  readonly maxTransactionOps = 1000;
  readonly maxValueBytes = 4 * 1024 * 1024;
  readonly etagShape = "32 hex digits";
  private readonly stmt: Statements;
  private readonly transactAll: (ops: readonly WriteOp[], at: number) => void;
  private readonly applyAll: (ops: readonly WriteOp[], at: number) => (Error | undefined)[];
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly singles: GroupCommit;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: SqliteBackendOptions,
  ) {
    this.stmt = prepareTable(db, opts.table);
    this.transactAll = db.transaction((ops: readonly WriteOp[], at: number) => {
      for (const op of ops) {
        const err = this.applyOne(op, at);
        if (err) throw err;
      }
    });
    this.applyAll = db.transaction((ops: readonly WriteOp[], at: number) =>
      ops.map((op) => this.applyOne(op, at)),
    );
    const applyAlone = db.transaction((op: WriteOp, at: number) => this.applyOne(op, at));
    this.singles = new GroupCommit({
      applyTogether: (ops) => this.applyAll(ops, this.opts.now()),
      applyAlone: (op) => applyAlone(op, this.opts.now()),
      wrapFailure: (e) => this.wrapFailure("transaction", e),
    });
    this.sweepTimer = setInterval(() => void this.sweep(), opts.cleanupIntervalMs);
    this.sweepTimer.unref();
  }

  isValidEtag(etag: string): boolean {
    return ETAG_PATTERN.test(etag);
  }

  async get(key: string): Promise<StoredItem | undefined> {
    return this.wrap("get", () => toItem(this.stmt.get(key, this.opts.now())));
  }

  async bulkGet(keys: readonly string[]): Promise<(StoredItem | undefined)[]> {
    return this.wrap("bulk get", () => {
      const at = this.opts.now();
      return keys.map((key) => toItem(this.stmt.get(key, at)));
    });
  }

  async transact(ops: readonly WriteOp[]): Promise<void> {
    // A single Set or Delete joins the group commit; anything larger first lets queued writes land.
    if (ops.length === 1) return this.singles.submit(ops[0]!);
    this.singles.flush();
    this.wrap("transaction", () => this.transactAll(ops, this.opts.now()));
  }

  async applyEach(ops: readonly WriteOp[]): Promise<(Error | undefined)[]> {
    this.singles.flush();
    return this.wrap("bulk write", () => this.applyAll(ops, this.opts.now()));
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    if (this.db.open) this.singles.flush();
    if (this.db.open) this.db.close();
  }

  /** Applies one operation; returns an error value instead of throwing so bulk callers can continue. */
  private applyOne(op: WriteOp, at: number): Error | undefined {
    const { stmt } = this;
    if (op.kind === "delete") {
      if (op.etag === undefined) {
        stmt.delete(op.key);
        return undefined;
      }
      return stmt.deleteIfEtag(op.key, op.etag, at) === 1 ? undefined : this.mismatch(op.key, at);
    }
    const row: RowWrite = {
      key: op.key,
      value: op.value,
      etag: newEtag(),
      contentType: op.contentType === "" ? null : op.contentType,
      expiresAt: op.expiresAt ?? null,
      now: at,
    };
    if (op.etag !== undefined) {
      return stmt.updateIfEtag(row, op.etag) === 1 ? undefined : this.mismatch(op.key, at);
    }
    if (op.firstWrite) {
      return stmt.insertOnly(row) === 1 ? undefined : stateErrors.firstWriteConflict(op.key);
    }
    stmt.upsert(row);
    return undefined;
  }

  private mismatch(key: string, at: number): Error {
    return this.stmt.get(key, at) === undefined
      ? stateErrors.etagMissingRow(key)
      : stateErrors.etagMismatch(key);
  }

  private wrap<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.wrapFailure(op, e);
    }
  }

  private wrapFailure(op: string, e: unknown): Error {
    return isKeylessError(e)
      ? e
      : stateErrors.backendFailed({ instance: this.opts.instance, backend: "sqlite", op, cause: e });
  }

  async sweep(): Promise<number> {
    let removed = 0;
    try {
      for (let i = 0; i < 100; i++) {
        const n = this.stmt.sweep(this.opts.now());
        removed += n;
        if (n < CLEANUP_BATCH) break;
      }
      if (removed > 0) this.opts.log.debug({ removed }, "removed expired state rows");
    } catch (e) {
      this.opts.log.warn({ err: errorField(e) }, "expired-row sweep failed; will retry");
    }
    return removed;
  }
}

export function openSqliteBackend(opts: SqliteBackendOptions): Backend {
  const db = openDatabaseFile(opts.instance, opts.file, opts.synchronous, opts.busyTimeoutMs, opts.log);
  try {
    return new SqliteBackend(db, opts);
  } catch (e) {
    db.close();
    throw stateErrors.backendFailed({
      instance: opts.instance,
      backend: "sqlite",
      op: `preparing table ${opts.table} in ${opts.file}`,
      cause: e,
    });
  }
}
