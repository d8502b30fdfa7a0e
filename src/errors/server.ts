/** The wording of failures of the server rather than of a store: a malformed call, or keyless itself. */
import { KeylessError } from "./keylessError.js";

export const serverErrors = {
  requestInvalid: (what: string) => new KeylessError("REQUEST_INVALID", what),
  reflectionUnavailable: () =>
    new KeylessError(
      "INTERNAL",
      "keyless could not build its server reflection, so daprd cannot discover its services; see the keyless log",
    ),
  internal: (op: string) =>
    new KeylessError(
      "INTERNAL",
      `keyless hit an unexpected error during ${op}; see the keyless log for details`,
    ),
};
