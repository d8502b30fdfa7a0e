/**
 * Turns a failed token request into a KeylessError that says which identity was tried and what went
 * wrong: unknown to the endpoint, endpoint unreachable, or another refusal. The facts come from
 * errors/azureFailure.ts (status and errno on the error or its causes, never message text); the raw
 * message, which can echo request details, is never passed on. The cause is kept.
 */
import { describeAzureFailure } from "../errors/azureFailure.js";
import { identityErrors } from "../errors/identity.js";
import { isKeylessError, type KeylessError } from "../errors/keylessError.js";
import { describeIdentity, type IdentitySpec } from "./identitySpec.js";

export function classifyTokenError(spec: IdentitySpec, scope: string, e: unknown): KeylessError {
  // Credentials that classify their own failures (workload identity) pass them on as they are.
  if (isKeylessError(e)) return e;
  const who = describeIdentity(spec);
  const f = describeAzureFailure(e);
  if (f.kind === "network" || f.kind === "timeout")
    return identityErrors.identityUnreachable(scope, who, f, e);
  // Managed-identity endpoints answer 400 for an identity that is not assigned to this app.
  if (f.status === 400) return identityErrors.identityUnknown(scope, who, e);
  return identityErrors.identityFailed(scope, who, f, e);
}
