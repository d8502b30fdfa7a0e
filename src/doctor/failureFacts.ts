/**
 * The structured facts of a failure, read from its cause chain: keyless's error codes, the HTTP status and
 * service error code as errors/azureFailure.ts reads them, and the fix the error catalog gave it. The doctor
 * reads these, never message text (which is written for people and may change).
 */
import { describeAzureFailure } from "../errors/azureFailure.js";
import { causeChain } from "../errors/causeChain.js";
import { isKeylessError, type ErrorCode } from "../errors/keylessError.js";

export interface FailureFacts {
  codes: ErrorCode[];
  httpStatus?: number;
  serviceCode?: string;
}

export function failureFacts(e: unknown): FailureFacts {
  const codes = causeChain(e)
    .filter(isKeylessError)
    .map((k) => k.code);
  const f = describeAzureFailure(e);
  return {
    codes,
    ...(f.status !== undefined && { httpStatus: f.status }),
    ...(f.serviceCode !== undefined && { serviceCode: f.serviceCode }),
  };
}

/**
 * The catalog's fix for a failure: the outermost one in its cause chain. Wrappers that only add where the
 * failure happened (a source wrapping an identity's refusal, the cache's backoff) carry none, so the fix of
 * the error they wrap is the one that applies.
 */
export function fixOf(e: unknown): string | undefined {
  for (const k of causeChain(e)) if (isKeylessError(k) && k.fix !== undefined) return k.fix;
  return undefined;
}
