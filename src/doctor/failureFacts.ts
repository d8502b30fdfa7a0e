/**
 * The structured facts of a failure, read from its cause chain: keyless's error codes, the HTTP status
 * and the service's error code of an Azure SDK RestError. The doctor picks its fix hints from these,
 * never from message text (which is written for people and may change).
 */
import { isRestError } from "@azure/core-rest-pipeline";
import { isKeylessError, type ErrorCode } from "../errors/keylessError.js";

export interface FailureFacts {
  codes: ErrorCode[];
  httpStatus?: number;
  serviceCode?: string;
}

export function failureFacts(e: unknown): FailureFacts {
  const out: FailureFacts = { codes: [] };
  const seen = new Set<unknown>();
  for (let cur = e, depth = 0; cur instanceof Error && !seen.has(cur) && depth < 8; depth++) {
    seen.add(cur);
    if (isKeylessError(cur)) out.codes.push(cur.code);
    if (isRestError(cur)) {
      out.httpStatus ??= cur.statusCode;
      const details = cur.details;
      if (out.serviceCode === undefined && details && typeof details === "object" && "errorCode" in details) {
        const code = details.errorCode;
        if (typeof code === "string") out.serviceCode = code;
      }
    }
    cur = cur.cause;
  }
  return out;
}

export function hasCode(f: FailureFacts, ...codes: ErrorCode[]): boolean {
  return f.codes.some((c) => codes.includes(c));
}
