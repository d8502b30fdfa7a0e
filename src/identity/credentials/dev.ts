/**
 * Developer credentials, used only when component metadata asks for them (azureCredential: cli | default).
 * Never on the cloud path: DefaultAzureCredential probes several sources and can stall for seconds.
 */
import { AzureCliCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import type { IdentitySpec } from "../identitySpec.js";

export function cliCredential(spec: Extract<IdentitySpec, { kind: "cli" }>): TokenCredential {
  return new AzureCliCredential({
    ...(spec.tenantId && { tenantId: spec.tenantId }),
    processTimeoutInMs: 30_000,
  });
}

export function defaultCredential(spec: Extract<IdentitySpec, { kind: "default" }>): TokenCredential {
  return new DefaultAzureCredential({ ...(spec.clientId && { managedIdentityClientId: spec.clientId }) });
}
