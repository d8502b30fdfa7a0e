/**
 * Embedded SQLite backend (better-sqlite3). One database file per instance by default; WAL mode, so an
 * acknowledged write is in the WAL before the RPC returns and survives `kill -9` of keyless
 * (`synchronous: full` also survives power loss). Expired rows are invisible at once and removed by a
 * background sweep.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { errors } from "../../errors/catalog.js";
import { ETAG_PATTERN, type Backend, type StoredItem, type WriteOp } from "../backend.js";
import { errorField, type Logger } from "../../observability/logger.js";

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

interface Row {
  value: Buffer;
  etag: string;
  content_type: string | null;
  expires_at: number | null;
}

const SCHEMA_VERSION = 1;
const CLEANUP_BATCH = 1000;

export function newEtag(): string {
  return randomUUID().replaceAll("-", "");
}

export function openSqliteBackend(opts: SqliteBackendOptions): Backend {
  const { instance, now, log } = opts;
  mkdirSync(path.dirname(opts.file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(opts.file, { timeout: opts.busyTimeoutMs });
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${opts.synchronous === "full" ? "FULL" : "NORMAL"}`);
  } catch (e) {
    throw errors.backendFailed(instance, "sqlite", `opening ${opts.file}`, e);
  }
  const t = `"${opts.table}"`;
  db.exec(`
    CREATE TABLE IF NOT EXISTS keyless_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS ${t} (
      key TEXT PRIMARY KEY,
      value BLOB NOT NULL,
      etag TEXT NOT NULL,
      content_type TEXT,
      expires_at INTEGER,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS "${opts.table}_expires_at" ON ${t}(expires_at) WHERE expires_at IS NOT NULL;
  `);
  db.prepare(`INSERT OR IGNORE INTO keyless_meta(name, value) VALUES ('schema_version', ?)`).run(
    String(SCHEMA_VERSION),
  );

  const live = `(expires_at IS NULL OR expires_at > @now)`;
  const stmt = {
    get: db.prepare(`SELECT value, etag, content_type, expires_at FROM ${t} WHERE key = @key AND ${live}`),
    upsert: db.prepare(
      `INSERT INTO ${t}(key, value, etag, content_type, expires_at, updated_at)
       VALUES (@key, @value, @etag, @ct, @exp, @now)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = excluded.etag,
         content_type = excluded.content_type, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
    ),
    // Insert-only, but an expired row counts as absent.
    insertOnly: db.prepare(
      `INSERT INTO ${t}(key, value, etag, content_type, expires_at, updated_at)
       VALUES (@key, @value, @etag, @ct, @exp, @now)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = excluded.etag,
         content_type = excluded.content_type, expires_at = excluded.expires_at, updated_at = excluded.updated_at
       WHERE ${t}.expires_at IS NOT NULL AND ${t}.expires_at <= @now`,
    ),
    updateIfEtag: db.prepare(
      `UPDATE ${t} SET value = @value, etag = @etag, content_type = @ct, expires_at = @exp, updated_at = @now
       WHERE key = @key AND etag = @expected AND ${live}`,
    ),
    delete: db.prepare(`DELETE FROM ${t} WHERE key = @key`),
    deleteIfEtag: db.prepare(`DELETE FROM ${t} WHERE key = @key AND etag = @expected AND ${live}`),
    sweep: db.prepare(
      `DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE expires_at IS NOT NULL AND expires_at <= @now LIMIT ${CLEANUP_BATCH})`,
    ),
  };

  const toItem = (r: Row | undefined): StoredItem | undefined =>
    r === undefined
      ? undefined
      : {
          value: r.value,
          etag: r.etag,
          contentType: r.content_type ?? "",
          expiresAt: r.expires_at ?? undefined,
        };

  /** Applies one operation; returns an error value instead of throwing so bulk callers can continue. */
  function applyOne(op: WriteOp, at: number): Error | undefined {
    if (op.kind === "delete") {
      if (op.etag === undefined) {
        stmt.delete.run({ key: op.key });
        return undefined;
      }
      const r = stmt.deleteIfEtag.run({ key: op.key, expected: op.etag, now: at });
      return r.changes === 1 ? undefined : mismatch(op.key, at);
    }
    const params = {
      key: op.key,
      value: op.value,
      etag: newEtag(),
      ct: op.contentType === "" ? null : op.contentType,
      exp: op.expiresAt ?? null,
      now: at,
    };
    if (op.etag !== undefined) {
      const r = stmt.updateIfEtag.run({ ...params, expected: op.etag });
      return r.changes === 1 ? undefined : mismatch(op.key, at);
    }
    if (op.firstWrite) {
      const r = stmt.insertOnly.run(params);
      return r.changes === 1 ? undefined : errors.firstWriteConflict(op.key);
    }
    stmt.upsert.run(params);
    return undefined;
  }

  function mismatch(key: string, at: number): Error {
    return stmt.get.get({ key, now: at }) === undefined
      ? errors.etagMissingRow(key)
      : errors.etagMismatch(key);
  }

  const transact = db.transaction((ops: readonly WriteOp[], at: number) => {
    for (const op of ops) {
      const err = applyOne(op, at);
      if (err) throw err;
    }
  });
  const applyEach = db.transaction((ops: readonly WriteOp[], at: number) =>
    ops.map((op) => applyOne(op, at)),
  );

  function wrap<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Error && e.name === "KeylessError") throw e;
      throw errors.backendFailed(instance, "sqlite", op, e);
    }
  }

  const sweepTimer = setInterval(() => {
    try {
      let removed = 0;
      for (let i = 0; i < 100; i++) {
        const n = stmt.sweep.run({ now: now() }).changes;
        removed += n;
        if (n < CLEANUP_BATCH) break;
      }
      if (removed > 0) log.debug({ removed }, "removed expired state rows");
    } catch (e) {
      log.warn({ err: errorField(e) }, "expired-row sweep failed; will retry");
    }
  }, opts.cleanupIntervalMs);
  sweepTimer.unref();

  return {
    kind: "sqlite",
    maxTransactionOps: 1000,
    maxValueBytes: 4 * 1024 * 1024,
    isValidEtag: (etag) => ETAG_PATTERN.test(etag),
    etagShape: "32 hex digits",
    get: async (key) => wrap("get", () => toItem(stmt.get.get({ key, now: now() }) as Row | undefined)),
    bulkGet: async (keys) =>
      wrap("bulk get", () => {
        const at = now();
        return keys.map((key) => toItem(stmt.get.get({ key, now: at }) as Row | undefined));
      }),
    transact: async (ops) => wrap("transaction", () => transact(ops, now())),
    applyEach: async (ops) => wrap("bulk write", () => applyEach(ops, now())),
    close: async () => {
      clearInterval(sweepTimer);
      if (db.open) db.close();
    },
  };
}
