/** Workload identity (AKS federated tokens): AZURE_FEDERATED_TOKEN_FILE plus client and tenant ids. */
import { WorkloadIdentityCredential, type TokenCredential } from "@azure/identity";
import type { IdentitySpec } from "../identitySpec.js";

export function workloadIdentityCredential(
  spec: Extract<IdentitySpec, { kind: "workload" }>,
): TokenCredential {
  return new WorkloadIdentityCredential({
    ...(spec.clientId && { clientId: spec.clientId }),
    ...(spec.tenantId && { tenantId: spec.tenantId }),
  });
}
