/**
 * A state transaction as one Tables entity-group transaction (same partition, at most 100 keys).
 * One action per key: the first operation's condition, the last operation's outcome. When the service
 * refuses the batch for a condition, the conflicting key is found by reading each conditional key (the
 * service's answer names only an index in free text): the error names the real key, never "".
 * Insert-only actions also collide with expired rows and tombstones, which count as absent: those become
 * etag-guarded replaces and the batch is tried once more.
 */
import type { TableClient, TransactionAction } from "@azure/data-tables";
import { describeAzureFailure } from "../../../errors/azureFailure.js";
import { stateErrors } from "../../../errors/state.js";
import type { KeylessError } from "../../../errors/keylessError.js";
import type { WriteOp } from "../../backend.js";
import { toTableKey } from "./tablesKey.js";
import type { AzureCaller } from "../../../identity/azureCaller.js";
import { decodeEtag, entityOf, etagExpired, itemOf, type Row } from "./tablesEntity.js";

export const MAX_BATCH = 100;

export interface TransactionDeps {
  instance: string;
  caller: AzureCaller<TableClient>;
  now: () => number;
  readRow(key: string): Promise<Row | undefined>;
  fail(op: string, e: unknown): KeylessError;
}

interface Planned {
  key: string;
  first: WriteOp;
  action: TransactionAction;
}

/** Whether a failed batch failed on a condition (as opposed to a missing table, auth, or an outage). */
export function isConditionFailure(e: unknown): boolean {
  const f = describeAzureFailure(e);
  if (f.status === 404) return f.serviceCode !== "TableNotFound";
  return f.status === 412 || f.status === 409;
}

export function plan(deps: TransactionDeps, ops: readonly WriteOp[]): Planned[] {
  const partitions = new Set(ops.map((o) => toTableKey(o.key).partitionKey));
  if (partitions.size > 1) throw stateErrors.transactionSpansPartitions(deps.instance, partitions.size);
  const byKey = new Map<string, { first: WriteOp; last: WriteOp }>();
  for (const op of ops) {
    const e = byKey.get(op.key);
    if (!e) byKey.set(op.key, { first: op, last: op });
    else {
      // A later condition refers to a version this transaction itself writes; no caller can know it.
      if (op.etag !== undefined) throw stateErrors.etagMismatch(op.key);
      e.last = op;
    }
  }
  if (byKey.size > MAX_BATCH) throw stateErrors.transactionTooLarge(deps.instance, byKey.size, MAX_BATCH);
  const at = deps.now();
  for (const [key, { first }] of byKey) {
    if (first.etag !== undefined && etagExpired(first.etag, at)) throw stateErrors.etagMissingRow(key);
  }
  return [...byKey].map(([key, { first, last }]) => {
    const entity = entityOf(key, last.kind === "set" ? last : undefined, at);
    const action: TransactionAction =
      first.etag !== undefined
        ? ["update", entity, "Replace", { etag: decodeEtag(first.etag) }]
        : first.kind === "set" && first.firstWrite
          ? ["create", entity]
          : ["upsert", entity, "Replace"];
    return { key, first, action };
  });
}

/**
 * Reads every conditional key once: returns the key whose condition fails now (as its error), or the
 * actions with expired rows' creates turned into guarded replaces.
 */
async function recheck(deps: TransactionDeps, planned: Planned[]): Promise<KeylessError | Planned[]> {
  const now = deps.now();
  const out: Planned[] = [];
  for (const p of planned) {
    const kind = p.action[0];
    if (kind !== "create" && kind !== "update") {
      out.push(p);
      continue;
    }
    const row = await deps.readRow(p.key);
    const live = row !== undefined && itemOf(row, now) !== undefined;
    if (kind === "create") {
      if (live) return stateErrors.firstWriteConflict(p.key);
      out.push(row ? { ...p, action: ["update", p.action[1], "Replace", { etag: row.etag }] } : p);
    } else {
      if (!live) return stateErrors.etagMissingRow(p.key);
      if (row.etag !== decodeEtag(p.first.etag!)) return stateErrors.etagMismatch(p.key);
      out.push(p);
    }
  }
  return out;
}

async function submit(deps: TransactionDeps, planned: Planned[]): Promise<unknown> {
  try {
    await deps.caller.call((c, o) =>
      c.submitTransaction(
        planned.map((p) => p.action),
        o,
      ),
    );
    return undefined;
  } catch (e) {
    if (!isConditionFailure(e)) throw deps.fail("a transaction", e);
    return e;
  }
}

export async function runTransaction(deps: TransactionDeps, ops: readonly WriteOp[]): Promise<void> {
  const planned = plan(deps, ops);
  if ((await submit(deps, planned)) === undefined) return;
  const rechecked = await recheck(deps, planned);
  if (!Array.isArray(rechecked)) throw rechecked;
  if ((await submit(deps, rechecked)) === undefined) return;
  // Someone changed a key between our read and the retry: name it if we can see it now.
  const again = await recheck(deps, rechecked);
  if (!Array.isArray(again)) throw again;
  const conditional = planned.find((p) => p.action[0] !== "upsert") ?? planned[0]!;
  throw conditional.first.etag !== undefined
    ? stateErrors.etagMismatch(conditional.key)
    : stateErrors.firstWriteConflict(conditional.key);
}
