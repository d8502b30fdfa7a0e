/**
 * Which failure a Key Vault call met, decided from the facts of errors/azureFailure.ts; errors/secrets.ts
 * words the reason. Kept beside the source that calls the vault, so the order of the decisions (a disabled
 * secret before a missing role, a throttle before other 4xx) is read where the calls are made.
 */
import type { AzureFailure } from "../../../errors/azureFailureFacts.js";
import { failureSummary } from "../../../errors/azureFailureFacts.js";
import type { VaultFailureReason } from "../../../errors/secrets.js";
import type { ClassifiedFailure } from "../../../errors/wording.js";
import { KEY_VAULT_DOMAINS } from "./keyVaultDomains.js";

/** Asked for when Key Vault throttles without saying how long to wait. */
const DEFAULT_THROTTLE_WAIT_MS = 1000;

export function classifyVaultFailure(
  f: AzureFailure,
  vault: { timeoutMs: number; hostOutsideKeyVaultDomains?: string | undefined },
): ClassifiedFailure<VaultFailureReason> {
  const stop = (why: VaultFailureReason) => ({ why, transient: false });
  const passes = (why: VaultFailureReason, retryAfterMs?: number) => ({
    why,
    transient: true,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
  if (f.kind === "timeout") return passes({ kind: "timeout", timeoutMs: vault.timeoutMs });
  if (f.status === 403 && f.serviceCode === "SecretDisabled") return stop({ kind: "secretDisabled" });
  if (f.status === 403)
    return stop({ kind: "forbidden", ...(f.serviceCode !== undefined && { serviceCode: f.serviceCode }) });
  if (f.status === 401) return stop({ kind: "tokenRejected" });
  if (f.status === 429) {
    const retryAfterMs = f.retryAfterMs ?? DEFAULT_THROTTLE_WAIT_MS;
    return passes({ kind: "throttled", retryAfterMs }, retryAfterMs);
  }
  if (f.kind === "http" && f.status !== undefined && f.status >= 500)
    return passes({ kind: "serverError", status: f.status }, f.retryAfterMs);
  if (f.kind === "network")
    return passes({ kind: "unreachable", ...(f.errno !== undefined && { errno: f.errno }) });
  if (f.kind === "http")
    return { why: { kind: "answered", summary: failureSummary(f) }, transient: f.transient };
  const host = vault.hostOutsideKeyVaultDomains;
  if (host !== undefined)
    return stop({ kind: "hostOutsideDomains", host, domains: KEY_VAULT_DOMAINS, summary: failureSummary(f) });
  return stop({ kind: "failed", summary: failureSummary(f) });
}
