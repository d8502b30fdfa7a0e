/**
 * What a state backend must do. The store (state/store.ts) validates input and builds these operations;
 * a backend applies them with the ETag checks done atomically next to the data.
 * Values are opaque bytes; backends never re-encode them.
 */
export interface StoredItem {
  value: Buffer;
  etag: string;
  contentType: string;
  /** Epoch milliseconds, or undefined when the item never expires. */
  expiresAt: number | undefined;
}

export interface SetOp {
  kind: "set";
  key: string;
  value: Buffer;
  /** Expected current etag; undefined means "no check" (or insert-only when firstWrite). */
  etag: string | undefined;
  firstWrite: boolean;
  contentType: string;
  expiresAt: number | undefined;
}

export interface DeleteOp {
  kind: "delete";
  key: string;
  etag: string | undefined;
}

export type WriteOp = SetOp | DeleteOp;

export interface Backend {
  readonly kind: string;
  get(key: string): Promise<StoredItem | undefined>;
  bulkGet(keys: readonly string[]): Promise<(StoredItem | undefined)[]>;
  /** All or nothing: the first failing operation (e.g. ETAG_MISMATCH) aborts and is thrown. */
  transact(ops: readonly WriteOp[]): Promise<void>;
  /** Each operation on its own: returns one error (or undefined) per operation, in order. */
  applyEach(ops: readonly WriteOp[]): Promise<(Error | undefined)[]>;
  /** Largest transaction this backend accepts; 0 means no limit. */
  readonly maxTransactionOps: number;
  /** Largest value in bytes. */
  readonly maxValueBytes: number;
  /** Whether `etag` has the shape of an etag this backend issues (else the caller gets ETAG_INVALID). */
  isValidEtag(etag: string): boolean;
  /** What a valid etag looks like, for the ETAG_INVALID message. */
  readonly etagShape: string;
  /** Backend-specific key checks (e.g. length limits after escaping); throws KEY_INVALID. */
  checkKey?(key: string): void;
  /** Removes expired rows (and tombstones) now, as the background sweep does; returns how many. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

/** SQLite etags are 32 lowercase hex digits: random, so a recreated key never matches an etag of its previous life. */
export const ETAG_PATTERN = /^[0-9a-f]{32}$/;
