/**
 * Runs Key Vault calls for one source: each under its own deadline (daprd gives secret calls none), with
 * the retry rules in one place:
 * - a 401 gets exactly one retry with a genuinely new token (the credential renews past every cache, and
 *   the client, whose token cycler holds the old token, is rebuilt); a claims challenge is answered by the
 *   SDK itself, which asks the credential for a token with those claims;
 * - 5xx and connection failures are retried twice with a short, jittered backoff that ends at once when
 *   the call is aborted (its deadline, or the caller's signal: nobody waits for the answer any more);
 * - 429 is never retried here: it goes back to the cache with its Retry-After, where waiting belongs.
 */
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { describeAzureFailure } from "../../errors/azureFailure.js";
import type { CachedCredential } from "../../identity/cachedCredential.js";
import { abortablePause } from "../../util/abortablePause.js";
import { underKeyVaultDomain } from "../keyVaultDomains.js";

export const KEY_VAULT_SCOPE = "https://vault.azure.net/.default";
const MAX_RETRIES = 2;
const BACKOFF_MS = 200;

export function isLoopbackHost(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class KeyVaultCaller {
  private client: SecretClient;
  /**
   * The vault URL's host when the SDK checks Key Vault's challenge against it and it lies outside every
   * Key Vault domain (a private-link or custom name): the check then fails with a plain Error before any
   * token is asked for, so the failure message needs the host to say why.
   */
  readonly hostOutsideKeyVaultDomains: string | undefined;
  /** The challenge names vault.azure.net; a loopback stand-in cannot match that domain. */
  private readonly skipChallengeCheck: boolean;

  constructor(
    private readonly vaultUrl: string,
    private readonly credential: CachedCredential,
    private readonly timeoutMs: number,
    private readonly clientOptions: SecretClientOptions = {},
  ) {
    this.skipChallengeCheck = clientOptions.disableChallengeResourceVerification ?? isLoopbackHost(vaultUrl);
    const host = new URL(vaultUrl).hostname;
    this.hostOutsideKeyVaultDomains =
      !this.skipChallengeCheck && !underKeyVaultDomain(host) ? host : undefined;
    this.client = this.makeClient();
  }

  async call<T>(fn: (c: SecretClient, signal: AbortSignal) => Promise<T>, caller?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = caller ? AbortSignal.any([deadline, caller]) : deadline;
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(this.client, signal);
      } catch (e) {
        const f = describeAzureFailure(e);
        if (f.status === 401 && !renewed && !signal.aborted) {
          renewed = true;
          await this.credential.renew(KEY_VAULT_SCOPE, f.claims);
          this.client = this.makeClient();
          continue;
        }
        const retriable =
          !signal.aborted &&
          attempt < MAX_RETRIES &&
          (f.kind === "network" ||
            (f.kind === "http" && f.status! >= 500 && f.status !== 501 && f.status !== 505));
        if (!retriable) throw e;
        // Equal jitter: between half and all of the step, so retries of many secrets do not line up.
        await abortablePause(BACKOFF_MS * 2 ** attempt * (0.5 + Math.random() / 2), signal);
      }
    }
  }

  private makeClient(): SecretClient {
    return new SecretClient(this.vaultUrl, this.credential, {
      // Retries are ours (see call()), so a throttled vault is not waited on inside the SDK.
      retryOptions: { maxRetries: 0 },
      ...this.clientOptions,
      disableChallengeResourceVerification: this.skipChallengeCheck,
    });
  }
}
