import { isKeylessError } from "../../errors/keylessError.js";
import { fixOf } from "../failureFacts.js";
import type { Check } from "../report.js";

/**
 * A failed check from a thrown error: keyless's own message (a foreign error's text may echo request
 * details, so it is replaced by `unexpected`), and the catalog's fix, else the check's own.
 */
export function failedCheck(name: string, e: unknown, fallback: { unexpected: string; fix: string }): Check {
  return {
    name,
    status: "fail",
    detail: isKeylessError(e) ? e.message : fallback.unexpected,
    fix: fixOf(e) ?? fallback.fix,
  };
}
