/**
 * The schema and the prepared statements of one state table. Every read hides expired rows; ETag checks
 * run inside the same statement as the write, so they are atomic next to the data.
 */
import type Database from "better-sqlite3";
import type { StoredItem } from "../backend.js";

const SCHEMA_VERSION = 1;
export const CLEANUP_BATCH = 1000;

export interface Row {
  value: Buffer;
  etag: string;
  content_type: string | null;
  expires_at: number | null;
}

/** One row to write; `contentType` and `expiresAt` are null when absent. */
export interface RowWrite {
  key: string;
  value: Buffer;
  etag: string;
  contentType: string | null;
  expiresAt: number | null;
  now: number;
}

type RowParams = [string, Buffer, string, string | null, number | null, number];

export function toItem(r: Row | undefined): StoredItem | undefined {
  return r === undefined
    ? undefined
    : {
        value: r.value,
        etag: r.etag,
        contentType: r.content_type ?? "",
        expiresAt: r.expires_at ?? undefined,
      };
}

export function prepareTable(db: Database.Database, table: string) {
  const t = `"${table}"`;
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
    CREATE INDEX IF NOT EXISTS "${table}_expires_at" ON ${t}(expires_at) WHERE expires_at IS NOT NULL;
  `);
  db.prepare(`INSERT OR IGNORE INTO keyless_meta(name, value) VALUES ('schema_version', ?)`).run(
    String(SCHEMA_VERSION),
  );
  // Positional parameters: binding them skips a property lookup per named parameter on every call.
  const live = `(expires_at IS NULL OR expires_at > ?)`;
  const insert = `INSERT INTO ${t}(key, value, etag, content_type, expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = excluded.etag,
         content_type = excluded.content_type, expires_at = excluded.expires_at, updated_at = excluded.updated_at`;
  const get = db.prepare<[string, number], Row>(
    `SELECT value, etag, content_type, expires_at FROM ${t} WHERE key = ? AND ${live}`,
  );
  const upsert = db.prepare<RowParams>(insert);
  // Insert-only, but an expired row counts as absent.
  const insertOnly = db.prepare<[...RowParams, number]>(
    `${insert} WHERE ${t}.expires_at IS NOT NULL AND ${t}.expires_at <= ?`,
  );
  const updateIfEtag = db.prepare<
    [Buffer, string, string | null, number | null, number, string, string, number]
  >(
    `UPDATE ${t} SET value = ?, etag = ?, content_type = ?, expires_at = ?, updated_at = ?
       WHERE key = ? AND etag = ? AND ${live}`,
  );
  const remove = db.prepare<[string]>(`DELETE FROM ${t} WHERE key = ?`);
  const removeIfEtag = db.prepare<[string, string, number]>(
    `DELETE FROM ${t} WHERE key = ? AND etag = ? AND ${live}`,
  );
  const sweep = db.prepare<[number]>(
    `DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ${CLEANUP_BATCH})`,
  );
  const params = (w: RowWrite): RowParams => [w.key, w.value, w.etag, w.contentType, w.expiresAt, w.now];
  return {
    /** The live row for `key` at `now`. */
    get: (key: string, now: number): Row | undefined => get.get(key, now),
    upsert: (w: RowWrite): void => void upsert.run(...params(w)),
    /** Rows written: 0 when a live row already holds the key. */
    insertOnly: (w: RowWrite): number => insertOnly.run(...params(w), w.now).changes,
    /** Rows written: 0 when no live row holds the key with the etag `expected`. */
    updateIfEtag: (w: RowWrite, expected: string): number =>
      updateIfEtag.run(w.value, w.etag, w.contentType, w.expiresAt, w.now, w.key, expected, w.now).changes,
    delete: (key: string): void => void remove.run(key),
    /** Rows deleted: 0 when no live row holds the key with the etag `expected`. */
    deleteIfEtag: (key: string, expected: string, now: number): number =>
      removeIfEtag.run(key, expected, now).changes,
    /** Removes up to CLEANUP_BATCH expired rows; returns how many. */
    sweep: (now: number): number => sweep.run(now).changes,
  };
}

export type Statements = ReturnType<typeof prepareTable>;
