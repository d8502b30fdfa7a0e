/**
 * Runs the calls to one Azure service client (a vault, a table) with the rules Key Vault and Tables share:
 * - every call runs under its own deadline (daprd gives secret calls none), ended early by the caller's
 *   signal when one is given;
 * - a 401 gets exactly one retry with a genuinely new token: the credential renews past every cache, and
 *   the client, whose token cycler holds the old token, is rebuilt. A claims challenge is answered inside
 *   the SDK's bearer policy, which asks the credential for a token with those claims;
 * - with `retries`, 5xx (but 501 and 505) and connection failures are retried with an exponential,
 *   equal-jitter backoff (between half and all of each step, so retries of many calls do not line up),
 *   in a pause that ends at once when the call is aborted: nobody waits for the answer any more. Without
 *   it, the service's SDK retries by its own policy;
 * - 429 is never retried here: it goes back with its Retry-After to where waiting belongs (the cache).
 */
import { describeAzureFailure, type AzureFailure } from "../errors/azureFailure.js";
import { abortablePause } from "../util/abortablePause.js";
import type { CachedCredential } from "./cachedCredential.js";

export interface AzureCallerOptions<C> {
  /** Builds the SDK client; called once at construction and again after each renewal. */
  makeClient: () => C;
  timeoutMs: number;
  /** The credential to renew after a 401, and for which scope; absent for keys and SAS. */
  renewal?: { credential: Pick<CachedCredential, "renew">; scope: string };
  /** Our own retries of server and connection failures: how many, and the first backoff step. */
  retries?: { max: number; backoffMs: number };
  /** A number in [0, 1) for the jitter; Math.random by default (tests pin it). */
  random?: () => number;
}

export interface CallOptions {
  abortSignal: AbortSignal;
}

export class AzureCaller<C> {
  private client: C;

  constructor(private readonly opts: AzureCallerOptions<C>) {
    this.client = opts.makeClient();
  }

  async call<T>(fn: (client: C, options: CallOptions) => Promise<T>, caller?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(this.opts.timeoutMs);
    const abortSignal = caller ? AbortSignal.any([deadline, caller]) : deadline;
    const { renewal, retries = { max: 0, backoffMs: 0 }, random = Math.random } = this.opts;
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(this.client, { abortSignal });
      } catch (e) {
        if (abortSignal.aborted) throw e;
        const f = describeAzureFailure(e);
        if (f.status === 401 && renewal && !renewed) {
          renewed = true;
          await renewal.credential.renew(renewal.scope, f.claims);
          this.client = this.opts.makeClient();
          continue;
        }
        if (attempt >= retries.max || !isServerOrConnectionFailure(f)) throw e;
        await abortablePause(retries.backoffMs * 2 ** attempt * (0.5 + random() / 2), abortSignal);
      }
    }
  }
}

/** 501 and 505 say the request itself cannot work; asking again would not help. */
function isServerOrConnectionFailure(f: AzureFailure): boolean {
  if (f.kind === "network") return true;
  return (
    f.kind === "http" && f.status !== undefined && f.status >= 500 && f.status !== 501 && f.status !== 505
  );
}
