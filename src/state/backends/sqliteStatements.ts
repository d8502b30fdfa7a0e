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
  const live = `(expires_at IS NULL OR expires_at > @now)`;
  return {
    get: db.prepare<{ key: string; now: number }, Row>(
      `SELECT value, etag, content_type, expires_at FROM ${t} WHERE key = @key AND ${live}`,
    ),
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
}

export type Statements = ReturnType<typeof prepareTable>;
