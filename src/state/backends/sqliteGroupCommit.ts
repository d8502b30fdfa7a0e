/**
 * Group commit for single-operation writes (Set, Delete). Each SQLite commit costs a WAL write, and under
 * `synchronous: full` an fsync that blocks the event loop; concurrent requests that arrive in the same
 * event-loop turn are applied in one transaction instead, in arrival order, so they see each other exactly
 * as they would one after another. Every caller's promise settles only after the transaction that holds its
 * write has committed, so an acknowledged write is as durable as before. An operation's own failure (ETag
 * mismatch, first-write conflict) is a value that touches no row and fails only its caller; if the shared
 * transaction itself throws, it was rolled back whole and every operation is retried in its own transaction,
 * so one bad item never fails or loses the others.
 */
import type { WriteOp } from "../backend.js";

export interface GroupCommitDeps {
  /** Applies every operation in one transaction; one result per operation. Throws when it rolled back. */
  applyTogether(ops: readonly WriteOp[]): (Error | undefined)[];
  /** Applies one operation in its own transaction. Throws when it rolled back. */
  applyAlone(op: WriteOp): Error | undefined;
  /** Turns a thrown SQLite failure into the error the caller sees. */
  wrapFailure(e: unknown): Error;
}

interface Pending {
  op: WriteOp;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly deps: GroupCommitDeps) {}

  submit(op: WriteOp): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      // setImmediate runs after every request read in this turn's I/O has been handled.
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Applies what is queued now; called before writes that must not overtake queued ones, and on close. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    if (batch.length === 1) {
      this.settle(batch[0]!, () => this.deps.applyAlone(batch[0]!.op));
      return;
    }
    let results: (Error | undefined)[];
    try {
      results = this.deps.applyTogether(batch.map((p) => p.op));
    } catch {
      for (const p of batch) this.settle(p, () => this.deps.applyAlone(p.op));
      return;
    }
    batch.forEach((p, i) => {
      const err = results[i];
      if (err) p.reject(err);
      else p.resolve();
    });
  }

  private settle(p: Pending, apply: () => Error | undefined): void {
    let err: Error | undefined;
    try {
      err = apply();
    } catch (e) {
      err = this.deps.wrapFailure(e);
    }
    if (err) p.reject(err);
    else p.resolve();
  }
}
