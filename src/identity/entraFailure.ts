/**
 * Decides which of Microsoft Entra ID's refusals a failed workload identity token exchange is; errors/
 * identity.ts words it as a KeylessError that names the identity and the fix. Entra identifies each refusal
 * by an AADSTS number, which MSAL passes on inside its message (`... AADSTS70021: ...`); that number and
 * MSAL's own error code are the only things read from the text, and the text itself (which echoes request
 * details) is never passed on.
 */
import { causeChain } from "../errors/causeChain.js";
import { identityErrors, type EntraRefusal } from "../errors/identity.js";
import type { KeylessError } from "../errors/keylessError.js";
import type { AssertionClaims } from "./federatedToken.js";
import type { WorkloadSettings } from "./workloadSettings.js";

/** MSAL's code when it could not read the authority's OpenID configuration (unknown tenant, unreachable). */
const ENDPOINTS_UNRESOLVED = "endpoints_resolution_error";

/** Federated-credential mismatches: AADSTS70021 and its newer, more specific variants. */
const NO_FEDERATED_CREDENTIAL = new Set([70021, 700211, 700212, 700213, 7002137, 7002138]);

function texts(e: unknown): string[] {
  return causeChain(e)
    .filter((cur): cur is Error => cur instanceof Error)
    .map((cur) => cur.message);
}

/** The AADSTS number of an Entra refusal carried by `e`, if any. */
export function aadstsCode(e: unknown): number | undefined {
  for (const t of texts(e)) {
    const m = /\bAADSTS(\d{5,8})\b/.exec(t);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Which refusal it was, from the requested tenant, the AADSTS number and MSAL's code. */
export function classifyEntraRefusal(
  s: Pick<WorkloadSettings, "tenantId">,
  presented: AssertionClaims | undefined,
  e: unknown,
  requestedTenant?: string,
): EntraRefusal {
  const code = aadstsCode(e);
  if (requestedTenant && requestedTenant.toLowerCase() !== s.tenantId.toLowerCase())
    return { kind: "otherTenant", requestedTenant };
  if (code === 90002 || (code === undefined && texts(e).some((t) => t.includes(ENDPOINTS_UNRESOLVED))))
    return { kind: "tenantUnknown", ...(code !== undefined && { aadsts: code }) };
  if (code === 700016) return { kind: "clientUnknown", aadsts: code };
  if (code !== undefined && NO_FEDERATED_CREDENTIAL.has(code))
    return { kind: "noFederatedCredential", aadsts: code, presented };
  if (code === 700024) return { kind: "tokenNotValidNow", aadsts: code };
  if (code === 700027 || code === 50027) return { kind: "tokenUnverified", aadsts: code };
  return { kind: "refused", ...(code !== undefined && { aadsts: code }) };
}

export function entraFailure(
  s: WorkloadSettings,
  scope: string,
  presented: AssertionClaims | undefined,
  e: unknown,
  requestedTenant?: string,
): KeylessError {
  const refusal = classifyEntraRefusal(s, presented, e, requestedTenant);
  return identityErrors.entraRefused({ scope, settings: s, refusal, cause: e });
}
