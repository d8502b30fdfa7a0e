import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { AzureCaller, type AzureCallerOptions } from "../../../src/identity/azureCaller.js";

const status = (statusCode: number) => new RestError(`HTTP ${statusCode}`, { statusCode });

/** A client that is only a build number, so a test can see which client answered. */
function caller(opts: Partial<AzureCallerOptions<number>> = {}, { withCredential = true } = {}) {
  let builds = 0;
  const renewals: string[] = [];
  const c = new AzureCaller<number>({
    makeClient: () => ++builds,
    timeoutMs: 5000,
    ...(withCredential && {
      renewal: {
        scope: "https://vault.azure.net/.default",
        credential: { renew: async (scope) => (renewals.push(scope), { token: "t", expiresOnTimestamp: 0 }) },
      },
    }),
    ...opts,
  });
  return { c, renewals, builds: () => builds };
}

/** Fails with each error in turn, then answers with the client it was given. */
function failing(...errors: Error[]) {
  const seen: number[] = [];
  const fn = async (client: number) => {
    seen.push(client);
    const e = errors.shift();
    if (e) throw e;
    return client;
  };
  return { fn, seen };
}

describe("AzureCaller", () => {
  it("after a 401 renews the token once, rebuilds the client and calls again", async () => {
    const { c, renewals, builds } = caller();
    const { fn, seen } = failing(status(401));
    await expect(c.call(fn)).resolves.toBe(2);
    expect(renewals).toEqual(["https://vault.azure.net/.default"]);
    expect(seen).toEqual([1, 2]);
    expect(builds()).toBe(2);
  });

  it("reports a second 401 instead of renewing again", async () => {
    const { c, renewals } = caller();
    await expect(c.call(failing(status(401), status(401)).fn)).rejects.toMatchObject({ statusCode: 401 });
    expect(renewals).toHaveLength(1);
  });

  it("does not renew without a credential (a key or a SAS)", async () => {
    const { c } = caller({}, { withCredential: false });
    const { fn, seen } = failing(status(401));
    await expect(c.call(fn)).rejects.toMatchObject({ statusCode: 401 });
    expect(seen).toEqual([1]);
  });

  it("without retries leaves 5xx to the SDK: one call", async () => {
    const { c } = caller();
    const { fn, seen } = failing(status(503));
    await expect(c.call(fn)).rejects.toMatchObject({ statusCode: 503 });
    expect(seen).toHaveLength(1);
  });

  it("retries 5xx with a jittered exponential backoff, never 429, 501 or 505", async () => {
    const { c } = caller({ retries: { max: 2, backoffMs: 40 }, random: () => 0 });
    const { fn, seen } = failing(status(503), status(500));
    const start = performance.now();
    await expect(c.call(fn)).resolves.toBe(1);
    // Half of each step with the jitter pinned at 0: 20 ms, then 40 ms.
    expect(performance.now() - start).toBeGreaterThanOrEqual(55);
    expect(seen).toHaveLength(3);
    for (const code of [429, 501, 505, 404]) {
      const once = failing(status(code));
      await expect(c.call(once.fn)).rejects.toMatchObject({ statusCode: code });
      expect(once.seen).toHaveLength(1);
    }
  });

  it("gives up after the last retry", async () => {
    const { c } = caller({ retries: { max: 2, backoffMs: 1 } });
    const { fn, seen } = failing(status(503), status(503), status(503), status(503));
    await expect(c.call(fn)).rejects.toMatchObject({ statusCode: 503 });
    expect(seen).toHaveLength(3);
  });

  it("ends the backoff pause when the caller gives up", async () => {
    const { c } = caller({ retries: { max: 2, backoffMs: 60_000 } });
    const gaveUp = new AbortController();
    const { fn, seen } = failing(status(503));
    const call = c.call((client, { abortSignal }) => {
      if (abortSignal.aborted) return Promise.reject(abortSignal.reason);
      return fn(client);
    }, gaveUp.signal);
    setTimeout(() => gaveUp.abort(new Error("caller gave up")), 20);
    await expect(call).rejects.toThrow("caller gave up");
    expect(seen).toHaveLength(1);
  });
});
