/**
 * The vault books of the process: one per (credential, vaults, name mapping), so every store instance
 * that reads the same vaults with the same identity honours the others' backoff and Retry-After.
 * Keyed by the credential object itself (the pool hands out one per identity), so a book goes when
 * its credential does.
 */
import { VaultCallBook } from "./vaultCallBook.js";

const books = new WeakMap<object, Map<string, VaultCallBook>>();

export function vaultCallBookFor(credential: object, vaultUrls: readonly string[], nameMapping: string) {
  let byVault = books.get(credential);
  if (!byVault) {
    byVault = new Map();
    books.set(credential, byVault);
  }
  const key = `${vaultUrls.map((u) => u.toLowerCase()).join(",")}|${nameMapping}`;
  let book = byVault.get(key);
  if (!book) {
    book = new VaultCallBook();
    byVault.set(key, book);
  }
  return book;
}
