/**
 * How a state item is stored as a Tables entity: PartitionKey/RowKey from tablesKey.ts; the value as up
 * to 15 binary properties of 64 KiB (v0..v14, "n" says how many) so values up to 960 KiB fit an entity;
 * "ct" the content type; "exp" the expiry (epoch ms, Int64). ETags are the service's own, handed to Dapr
 * base64url-encoded, with the version's expiry when it has one: the service still matches an expired
 * row's etag until the sweep removes it, so an ETag write to an expired version is refused from the ETag
 * itself, by any replica, before and after the cleanup (a version's expiry never changes: a new write
 * is a new etag). A delete inside a transaction is an already-expired tombstone (n = 0, exp = now).
 */
import type { TableEntity, TableEntityResult } from "@azure/data-tables";
import type { SetOp, StoredItem } from "../../backend.js";
import { toTableKey } from "./tablesKey.js";

export const CHUNK = 64 * 1024;
export const MAX_CHUNKS = 15;

export type Row = TableEntityResult<Record<string, unknown>>;

export const encodeEtag = (e: string, expiresAt?: number) =>
  Buffer.from(expiresAt === undefined ? e : `${e}\n${expiresAt}`, "utf8").toString("base64url");

/** The service's etag and the version's expiry (epoch ms) a Dapr ETag carries. */
export function readEtag(etag: string): { service: string; expiresAt?: number } {
  const text = Buffer.from(etag, "base64url").toString("utf8");
  const cut = text.lastIndexOf("\n");
  if (cut < 0) return { service: text };
  return { service: text.slice(0, cut), expiresAt: Number(text.slice(cut + 1)) };
}

export const decodeEtag = (e: string) => readEtag(e).service;

/** The version this ETag names had a TTL that has passed: it is gone, whatever the row still says. */
export function etagExpired(etag: string, now: number): boolean {
  const { expiresAt } = readEtag(etag);
  return expiresAt !== undefined && expiresAt <= now;
}

const SERVICE_ETAG = /^W\/"datetime'[^']+'"$|^W\/"[^"]+"$/;

export function isValidEtag(etag: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(etag)) return false;
  const { service, expiresAt } = readEtag(etag);
  return SERVICE_ETAG.test(service) && (expiresAt === undefined || Number.isSafeInteger(expiresAt));
}

export function entityOf(
  key: string,
  op: SetOp | undefined,
  now: number,
): TableEntity<Record<string, unknown>> {
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

/** The expiry stored in "exp": an Int64 comes back as a BigInt (or {value, type} without type conversion). */
export function expiresOf(e: Record<string, unknown>): number | undefined {
  const exp = e.exp;
  let raw: unknown = exp;
  if (typeof exp === "object" && exp !== null && "value" in exp) raw = exp.value;
  if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "bigint") return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** The item a row holds, or undefined when it has expired (or is a tombstone). */
export function itemOf(e: Row, now: number): StoredItem | undefined {
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
    etag: encodeEtag(e.etag, expiresAt),
    contentType: typeof e.ct === "string" ? e.ct : "",
    expiresAt,
  };
}
