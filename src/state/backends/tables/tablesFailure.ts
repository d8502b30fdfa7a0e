/**
 * Which failure a Tables call met, decided from the facts of errors/azureFailure.ts and how the backend
 * signs its calls; errors/state.ts words the reason. Kept beside the backend that makes the calls.
 */
import type { AzureFailure } from "../../../errors/azureFailureFacts.js";
import { failureSummary } from "../../../errors/azureFailureFacts.js";
import type { TablesFailureReason, TablesSigner } from "../../../errors/state.js";
import type { ClassifiedFailure } from "../../../errors/wording.js";

/** Storage's codes for credentials it could not authenticate (Azurite answers some of them with 400). */
const AUTH_REFUSED = new Set(["InvalidAuthenticationInfo", "AuthenticationFailed"]);

export function classifyTablesFailure(
  f: AzureFailure,
  call: { signer: TablesSigner["kind"]; skipCreateTable: boolean },
): ClassifiedFailure<TablesFailureReason> {
  return {
    why: reasonOf(f, call),
    transient: f.transient,
    ...(f.retryAfterMs !== undefined && { retryAfterMs: f.retryAfterMs }),
  };
}

function reasonOf(
  f: AzureFailure,
  call: { signer: TablesSigner["kind"]; skipCreateTable: boolean },
): TablesFailureReason {
  const summary = failureSummary(f);
  if (f.kind === "timeout") return { kind: "timeout" };
  if (f.status === 400 && f.serviceCode !== undefined && AUTH_REFUSED.has(f.serviceCode))
    return { kind: "credentialRefused", summary };
  if (f.status === 401 && call.signer === "token") return { kind: "tokenRejected" };
  if ((f.status === 403 || f.status === 401) && call.signer === "token")
    return { kind: "notAllowed", summary };
  if (f.status === 403 || f.status === 401) return { kind: "keyRefused", summary };
  if (f.status === 404 && f.serviceCode === "TableNotFound")
    return { kind: "tableNotFound", skipCreateTable: call.skipCreateTable };
  if (f.transient && f.kind === "http") return { kind: "busy", summary };
  if (f.kind === "network") return { kind: "unreachable", ...(f.errno !== undefined && { errno: f.errno }) };
  return { kind: "failed", summary };
}
