/**
 * The caller for one vault: the shared Azure call rules (identity/azureCaller.ts) with Key Vault's own
 * retries of 5xx and connection failures (twice, from 200 ms), since its SDK is told not to retry: a
 * throttled vault must not be waited on inside the SDK (429 goes back to the cache with its Retry-After).
 */
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { AzureCaller } from "../../../identity/azureCaller.js";
import type { CachedCredential } from "../../../identity/cachedCredential.js";
import { isLoopback } from "../../../identity/isLoopback.js";
import { KEY_VAULT_SCOPE } from "../../../identity/tokenScopes.js";
import { underKeyVaultDomain } from "./keyVaultDomains.js";

const RETRIES = { max: 2, backoffMs: 200 };

/** The challenge names vault.azure.net; a loopback stand-in cannot match that domain. */
function skipsChallengeCheck(vaultUrl: string, clientOptions: SecretClientOptions): boolean {
  return clientOptions.disableChallengeResourceVerification ?? isLoopback(vaultUrl);
}

/**
 * The vault URL's host when the SDK checks Key Vault's challenge against it and it lies outside every
 * Key Vault domain (a private-link or custom name): the check then fails with a plain Error before any
 * token is asked for, so the failure message needs the host to say why.
 */
export function hostOutsideKeyVaultDomains(
  vaultUrl: string,
  clientOptions: SecretClientOptions = {},
): string | undefined {
  const host = new URL(vaultUrl).hostname;
  return !skipsChallengeCheck(vaultUrl, clientOptions) && !underKeyVaultDomain(host) ? host : undefined;
}

/** Runs one vault's calls; a loopback stand-in skips the challenge check unless the options say. */
export function keyVaultCaller(
  vaultUrl: string,
  credential: CachedCredential,
  timeoutMs: number,
  clientOptions: SecretClientOptions = {},
): AzureCaller<SecretClient> {
  const disableChallengeResourceVerification = skipsChallengeCheck(vaultUrl, clientOptions);
  return new AzureCaller({
    makeClient: () =>
      new SecretClient(vaultUrl, credential, {
        retryOptions: { maxRetries: 0 },
        ...clientOptions,
        disableChallengeResourceVerification,
      }),
    timeoutMs,
    renewal: { credential, scope: KEY_VAULT_SCOPE },
    retries: RETRIES,
  });
}
