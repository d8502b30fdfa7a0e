/**
 * A state store instance: validates requests and turns them into backend operations.
 * Contract: https://docs.dapr.io/reference/api/state_api/ ; wire details in the pluggable-components spec 4.2-4.7.
 */
import { stateErrors } from "../errors/state.js";
import type { Backend, StoredItem, WriteOp } from "./backend.js";

export const MAX_KEY_BYTES = 4096;
export const MAX_VALUE_BYTES = 4 * 1024 * 1024;
const TTL_KEY = "ttlinseconds";
const TTL_MAX = 2147483647;

export type Concurrency = "first-write" | "last-write" | "unspecified";

export interface SetInput {
  key: string;
  value: Buffer;
  /** null: no etag field at all; "" is treated like no etag (daprd sends it for an empty client etag). */
  etag: string | null;
  metadata: Record<string, string>;
  concurrency: Concurrency;
  contentType: string;
}

export interface DeleteInput {
  key: string;
  etag: string | null;
  metadata: Record<string, string>;
  concurrency: Concurrency;
}

export type TransactOp = ({ kind: "set" } & SetInput) | ({ kind: "delete" } & DeleteInput);

export interface GetResult {
  value: Buffer | undefined;
  etag: string | undefined;
  contentType: string;
  metadata: Record<string, string>;
}

export class StateStore {
  constructor(
    readonly instance: string,
    private readonly backend: Backend,
    private readonly now: () => number = Date.now,
  ) {}

  /** The backend's kind ("sqlite", "tables"), a metric label. */
  get backendKind(): string {
    return this.backend.kind;
  }

  get maxTransactionOps(): number {
    return this.backend.maxTransactionOps;
  }

  async get(key: string): Promise<GetResult> {
    this.checkKey(key);
    return toResult(await this.backend.get(key));
  }

  async bulkGet(keys: readonly string[]): Promise<GetResult[]> {
    for (const k of keys) this.checkKey(k);
    return (await this.backend.bulkGet(keys)).map(toResult);
  }

  async set(input: SetInput): Promise<void> {
    await this.backend.transact([this.toSetOp(input)]);
  }

  async delete(input: DeleteInput): Promise<void> {
    await this.backend.transact([this.toDeleteOp(input)]);
  }

  /**
   * Each item is applied on its own (components-contrib semantics: a stale etag on one item does not undo
   * the others). Input is validated for every item before anything is written. The first failure is thrown.
   */
  async bulkSet(inputs: readonly SetInput[]): Promise<void> {
    await this.applyEach(inputs.map((i) => this.toSetOp(i)));
  }

  async bulkDelete(inputs: readonly DeleteInput[]): Promise<void> {
    await this.applyEach(inputs.map((i) => this.toDeleteOp(i)));
  }

  /** All operations, in order, atomically. */
  async transact(ops: readonly TransactOp[]): Promise<void> {
    const max = this.backend.maxTransactionOps;
    if (max > 0 && ops.length > max) throw stateErrors.transactionTooLarge(this.instance, ops.length, max);
    const writeOps = ops.map((op) => (op.kind === "set" ? this.toSetOp(op) : this.toDeleteOp(op)));
    if (writeOps.length > 0) await this.backend.transact(writeOps);
  }

  async close(): Promise<void> {
    await this.backend.close();
  }

  private async applyEach(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const results = await this.backend.applyEach(ops);
    const failures = results.filter((e): e is Error => e !== undefined);
    if (failures.length > 0) throw failures[0];
  }

  private toSetOp(input: SetInput): WriteOp {
    this.checkKey(input.key);
    const maxValue = Math.min(MAX_VALUE_BYTES, this.backend.maxValueBytes);
    if (input.value.length > maxValue) {
      throw stateErrors.valueTooLarge(this.instance, input.key, input.value.length, maxValue);
    }
    const etag = this.normaliseEtag(input.key, input.etag);
    const ttl = parseTtl(this.instance, input.key, input.metadata);
    return {
      kind: "set",
      key: input.key,
      value: input.value,
      etag,
      firstWrite: input.concurrency === "first-write",
      contentType: input.contentType,
      expiresAt: ttl === undefined ? undefined : this.now() + ttl * 1000,
    };
  }

  private toDeleteOp(input: DeleteInput): WriteOp {
    this.checkKey(input.key);
    return { kind: "delete", key: input.key, etag: this.normaliseEtag(input.key, input.etag) };
  }

  private checkKey(key: string): void {
    if (key.length === 0) throw stateErrors.keyEmpty(this.instance);
    // Cheap bound first: a UTF-16 length over the limit is always over it in UTF-8 as well.
    if (key.length > MAX_KEY_BYTES || Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
      throw stateErrors.keyTooLong(this.instance, Buffer.byteLength(key, "utf8"), MAX_KEY_BYTES);
    }
    this.backend.checkKey?.(key);
  }

  private normaliseEtag(key: string, etag: string | null): string | undefined {
    if (etag === null || etag === "") return undefined;
    if (!this.backend.isValidEtag(etag)) throw stateErrors.etagInvalid(key, etag, this.backend.etagShape);
    return etag;
  }
}

/** Returns seconds > 0, or undefined for "no expiry" (absent, -1 or 0). */
export function parseTtl(
  instance: string,
  key: string,
  metadata: Record<string, string>,
): number | undefined {
  let raw: string | undefined;
  for (const k in metadata) if (k.toLowerCase() === TTL_KEY) raw = metadata[k];
  if (raw === undefined || raw === "") return undefined;
  if (!/^-?\d{1,10}$/.test(raw.trim())) throw stateErrors.ttlInvalid(instance, key, raw);
  const n = Number(raw.trim());
  if (n < -1 || n > TTL_MAX) throw stateErrors.ttlInvalid(instance, key, raw);
  return n > 0 ? n : undefined;
}

function toResult(item: StoredItem | undefined): GetResult {
  if (item === undefined) return { value: undefined, etag: undefined, contentType: "", metadata: {} };
  const metadata: Record<string, string> = {};
  if (item.expiresAt !== undefined) {
    metadata.ttlExpireTime = new Date(item.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  return { value: item.value, etag: item.etag, contentType: item.contentType, metadata };
}
