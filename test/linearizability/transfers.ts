/**
 * Money moving between accounts through daprd's transaction API, from several replicas at once: each
 * transfer reads two balances with their ETags and writes both back in one transaction with those ETags,
 * so a transfer either moves the amount whole or not at all, and the total never changes.
 */
import type { Replica } from "./client.js";

export const ACCOUNTS = 5;
export const OPENING_BALANCE = 1000;
const account = (i: number) => `acct-${i}`;
const CALL_TIMEOUT_MS = 15_000;

async function call(url: string, init: RequestInit = {}): Promise<Response | undefined> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).catch(() => undefined);
}

async function balance(r: Replica, i: number): Promise<{ amount: number; etag: string } | undefined> {
  const res = await call(`${r.http}/v1.0/state/statestore/${account(i)}`);
  if (res?.status !== 200) return undefined;
  const amount: unknown = await res.json();
  const etag = res.headers.get("etag");
  return typeof amount === "number" && etag !== null ? { amount, etag } : undefined;
}

export const runTransfers = {
  async open(r: Replica): Promise<boolean> {
    const items = Array.from({ length: ACCOUNTS }, (_, i) => ({ key: account(i), value: OPENING_BALANCE }));
    const res = await call(`${r.http}/v1.0/state/statestore`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(items),
    });
    return res?.status === 204;
  },

  async work(r: Replica, seed: number, stop: AbortSignal): Promise<{ committed: number; unknown: number }> {
    let committed = 0;
    let unknown = 0;
    let n = seed;
    while (!stop.aborted) {
      n++;
      const from = n % ACCOUNTS;
      const to = (from + 1 + (n % (ACCOUNTS - 1))) % ACCOUNTS;
      const [a, b] = await Promise.all([balance(r, from), balance(r, to)]);
      if (!a || !b) {
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      const amount = 1 + (n % 13);
      const res = await call(`${r.http}/v1.0/state/statestore/transaction`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          operations: [
            { operation: "upsert", request: { key: account(from), value: a.amount - amount, etag: a.etag } },
            { operation: "upsert", request: { key: account(to), value: b.amount + amount, etag: b.etag } },
          ],
        }),
      });
      if (res?.status === 204) committed++;
      else if (res === undefined || res.status >= 500) unknown++;
      await res?.text();
    }
    return { committed, unknown };
  },

  async total(r: Replica): Promise<number> {
    let sum = 0;
    for (let i = 0; i < ACCOUNTS; i++) {
      const b = await balance(r, i);
      if (!b) throw new Error(`${r.name} could not read ${account(i)}`);
      sum += b.amount;
    }
    return sum;
  },
};
