import { describeIdentity, type IdentitySpec } from "../../identity/identitySpec.js";
import type { DoctorContext } from "../doctorContext.js";
import type { Check } from "../report.js";
import { failedCheck } from "./failedCheck.js";

/** Whether the identity gets a token for the scope, as serve would ask for it. */
export async function tokenCheck(doctor: DoctorContext, spec: IdentitySpec, scope: string): Promise<Check> {
  const name = `token for ${scope.replace("/.default", "")}`;
  try {
    await doctor.credentials.get(spec).getToken(scope);
    return { name, status: "ok", detail: `issued for ${describeIdentity(spec)}` };
  } catch (e) {
    return failedCheck(name, e, {
      unexpected: `getting a token for ${describeIdentity(spec)} failed unexpectedly (${e instanceof Error ? e.name : "error"})`,
      // Every identity failure keyless words carries its fix; this one is a failure it did not foresee.
      fix: "keyless did not foresee this failure; the detail names the identity and the error's class",
    });
  }
}
