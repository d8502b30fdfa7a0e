/**
 * How a Dapr state key becomes a Tables (PartitionKey, RowKey) pair, without collisions:
 *
 * - The key is split at its LAST "||": `app||key` -> ("app", "key"); actor keys
 *   `app||type||id||key` -> ("app||type||id", "key"). So one app's keys, or one actor's keys, share a
 *   partition, which is what lets a Dapr transaction run as one entity-group transaction.
 * - A key without "||" gets the PartitionKey "~" (a bare "~" cannot come from a real prefix, because "~"
 *   is escaped in both parts).
 * - Characters Tables forbids in keys ("/", "\", "#", "?", control characters) and the escape characters
 *   "%" and "~" are percent-encoded (UTF-8), so the mapping is reversible and injective.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /[%~/\\#?\u0000-\u001f\u007f-\u009f]/gu;
export const NO_PREFIX_PARTITION = "~";

function escapePart(s: string): string {
  return s.replace(NEEDS_ESCAPE, (c) =>
    [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

export interface TableKey {
  partitionKey: string;
  rowKey: string;
}

export function toTableKey(key: string): TableKey {
  const at = key.lastIndexOf("||");
  if (at < 0) return { partitionKey: NO_PREFIX_PARTITION, rowKey: escapePart(key) };
  return { partitionKey: escapePart(key.slice(0, at)), rowKey: escapePart(key.slice(at + 2)) };
}

export function fromTableKey(k: TableKey): string {
  const row = decodeURIComponent(k.rowKey);
  return k.partitionKey === NO_PREFIX_PARTITION ? row : `${decodeURIComponent(k.partitionKey)}||${row}`;
}
