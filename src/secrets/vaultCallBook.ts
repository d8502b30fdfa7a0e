/**
 * What every cache in front of one vault, read with one identity, must know about the others' failures:
 * after a transient failure for a secret, no instance calls the vault for it before the retry time the
 * failing cache set; after a Retry-After, no instance calls that vault at all before it has passed.
 * So an outage costs one vault call per secret per backoff step, however many store instances share
 * the vault and the identity. Entries are dropped on the next success, and at most MAX_HELD are kept.
 */
const MAX_HELD = 10_000;

export interface Hold {
  until: number;
  error: unknown;
  /** Transient failures in a row so far (kept after `until` passes, until a success). */
  count: number;
}

export class VaultCallBook {
  private readonly held = new Map<string, Hold>();
  private blocked: Hold | undefined;

  /** The hold on `key` (or on the whole vault) in force at `now`, the later one first. */
  holdOn(key: string, now: number): Hold | undefined {
    const own = this.held.get(key);
    const vault = this.blocked && now < this.blocked.until ? this.blocked : undefined;
    const mine = own && now < own.until ? own : undefined;
    if (vault && (!mine || vault.until >= mine.until)) return vault;
    return mine;
  }

  /** The vault-wide Retry-After in force at `now`. */
  vaultHold(now: number): Hold | undefined {
    return this.blocked && now < this.blocked.until ? this.blocked : undefined;
  }

  /** Transient failures in a row for `key`, by any cache sharing this book. */
  failuresOf(key: string): number {
    return this.held.get(key)?.count ?? 0;
  }

  hold(key: string, until: number, error: unknown, count: number): void {
    this.held.delete(key);
    this.held.set(key, { until, error, count });
    if (this.held.size > MAX_HELD) this.held.delete(this.held.keys().next().value!);
  }

  blockVault(until: number, error: unknown): void {
    if (!this.blocked || until > this.blocked.until) this.blocked = { until, error, count: 1 };
  }

  release(key: string): void {
    this.held.delete(key);
  }

  get size(): number {
    return this.held.size;
  }
}

const books = new WeakMap<object, Map<string, VaultCallBook>>();

/**
 * The book shared by every cache reading `vault` with `identity` (the process-wide credential object
 * of that identity, so the book goes when the identity does).
 */
export function sharedVaultCallBook(identity: object, vault: string): VaultCallBook {
  let byVault = books.get(identity);
  if (!byVault) books.set(identity, (byVault = new Map()));
  let book = byVault.get(vault);
  if (!book) byVault.set(vault, (book = new VaultCallBook()));
  return book;
}
