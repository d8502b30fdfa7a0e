/** The one place that turns an IdentitySpec into an @azure/identity credential. */
import type { TokenCredential } from "@azure/identity";
import { cliCredential, defaultCredential } from "./credentials/dev.js";
import { managedIdentityCredential } from "./credentials/managedIdentity.js";
import { workloadIdentityCredential } from "./credentials/workloadIdentity.js";
import type { IdentitySpec } from "./identitySpec.js";

export function credentialFor(spec: IdentitySpec): TokenCredential {
  switch (spec.kind) {
    case "managed":
      return managedIdentityCredential(spec);
    case "workload":
      return workloadIdentityCredential(spec);
    case "cli":
      return cliCredential(spec);
    case "default":
      return defaultCredential(spec);
  }
}
