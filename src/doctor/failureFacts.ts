/**
 * The structured facts of a failure, read from its cause chain: keyless's error codes, and the HTTP status
 * and service error code as errors/azureFailure.ts reads them. The doctor picks its fix hints from these,
 * never from message text (which is written for people and may change).
 */
import { describeAzureFailure } from "../errors/azureFailure.js";
import { isKeylessError, type ErrorCode } from "../errors/keylessError.js";

export interface FailureFacts {
  codes: ErrorCode[];
  httpStatus?: number;
  serviceCode?: string;
}

export function failureFacts(e: unknown): FailureFacts {
  const codes: ErrorCode[] = [];
  const seen = new Set<unknown>();
  for (let cur = e, depth = 0; cur instanceof Error && !seen.has(cur) && depth < 8; depth++) {
    seen.add(cur);
    if (isKeylessError(cur)) codes.push(cur.code);
    cur = cur.cause;
  }
  const f = describeAzureFailure(e);
  return {
    codes,
    ...(f.status !== undefined && { httpStatus: f.status }),
    ...(f.serviceCode !== undefined && { serviceCode: f.serviceCode }),
  };
}

export function hasCode(f: FailureFacts, ...codes: ErrorCode[]): boolean {
  return f.codes.some((c) => codes.includes(c));
}
