/**
 * The structured facts of a failure, read from its cause chain: keyless's error codes, and the HTTP status
 * and service error code as errors/azureFailure.ts reads them. The doctor picks its fix hints from these,
 * never from message text (which is written for people and may change).
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

export function hasCode(f: FailureFacts, ...codes: ErrorCode[]): boolean {
  return f.codes.some((c) => codes.includes(c));
}
