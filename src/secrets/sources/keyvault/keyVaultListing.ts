/**
 * BulkGet over Key Vault: list the names, then read each value. The answer is complete or an error:
 * - a secret is left out only when the vault says it cannot be read by design: disabled, not yet valid or
 *   expired (by its listed attributes, or a 403 SecretDisabled on that secret's GET), gone (404: deleted
 *   between the listing and the read), or refused to this identity (a 403 a role would fix) while others
 *   are readable, as with roles assigned per secret; each such omission is logged at debug;
 * - when the identity may list secrets but reads none of them (every read refused with such a 403, as
 *   with the Key Vault Reader role alone), the BulkGet fails with that refusal instead of answering an
 *   empty map: that is a missing role on the vault, not a vault without readable secrets;
 * - any other failure of any single read (throttling, 5xx, timeouts, a refused token) fails the whole
 *   BulkGet, so a partial map is never answered or cached (the cache may serve its last complete list).
 */
import type { SecretProperties } from "@azure/keyvault-secrets";
import { describeAzureFailure } from "../../../errors/azureFailure.js";
import type { Logger } from "../../../observability/logger.js";

export const PAGE_SIZE = 25;
const PARALLELISM = 8;

/** Whether a listed secret can be read now; returns the reason it cannot, or undefined. */
export function unreadableByDesign(p: SecretProperties, now: number): string | undefined {
  if (p.enabled !== true) return "disabled";
  if (p.expiresOn && p.expiresOn.getTime() <= now) return "expired";
  if (p.notBefore && p.notBefore.getTime() > now) return "not yet valid";
  // Certificate-backed secrets belong to Key Vault certificates.
  if (p.managed) return "managed by a certificate";
  return undefined;
}

/** Called for each secret left out of a BulkGet, with a short bounded reason (a metric label). */
export type OnOmitted = (reason: string) => void;

const REASON_LABEL: Record<string, string> = {
  disabled: "disabled",
  expired: "expired",
  "not yet valid": "not_yet_valid",
  "managed by a certificate": "managed",
};

export async function listReadableNames(
  pages: AsyncIterable<SecretProperties[]>,
  now: number,
  max: number | undefined,
  log: Logger,
  omitted: OnOmitted = () => undefined,
): Promise<string[]> {
  const names: string[] = [];
  for await (const page of pages) {
    for (const p of page) {
      const why = unreadableByDesign(p, now);
      if (why !== undefined) {
        log.debug({ secretName: p.name, reason: why }, "left out of BulkGet");
        omitted(REASON_LABEL[why] ?? "other");
        continue;
      }
      names.push(p.name);
      if (max !== undefined && names.length >= max) return names;
    }
  }
  return names;
}

/** Reads every name with a small parallelism cap, keeping the listing's order. */
export async function readAll<V>(
  names: readonly string[],
  read: (name: string) => Promise<V | undefined>,
  fail: (name: string, e: unknown) => Error,
  log: Logger,
  omitted: OnOmitted = () => undefined,
): Promise<Map<string, V>> {
  const values = new Map<string, V>();
  const refused = new Map<string, unknown>();
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < names.length && !failed) {
      const n = names[next++]!;
      try {
        const v = await read(n);
        if (v === undefined) {
          log.debug({ secretName: n, reason: "deleted since listed" }, "left out of BulkGet");
          omitted("deleted");
        } else values.set(n, v);
      } catch (e) {
        const f = describeAzureFailure(e);
        if (f.status === 403) {
          log.debug({ secretName: n, reason: f.serviceCode ?? "HTTP 403" }, "left out of BulkGet");
          omitted(f.missingRoleHint ? "forbidden" : "disabled");
          if (f.missingRoleHint) refused.set(n, e);
          continue;
        }
        failed = true;
        throw fail(n, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLELISM, names.length) }, worker));
  if (values.size === 0 && refused.size > 0) {
    // The first refused secret in listing order, so the error does not depend on which read ended first.
    const first = names.find((n) => refused.has(n))!;
    throw fail(first, refused.get(first));
  }
  return new Map(names.filter((n) => values.has(n)).map((n) => [n, values.get(n)!]));
}
