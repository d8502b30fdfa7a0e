/** Managed identity (Container Apps, App Service, AKS pod identity, VMs) through @azure/identity. */
import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import type { IdentitySpec } from "../identitySpec.js";

/** Bounded retries with backoff: transient endpoint failures at start-up are retried, but never for long. */
const RETRY = { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 };

export function managedIdentityCredential(spec: Extract<IdentitySpec, { kind: "managed" }>): TokenCredential {
  switch (spec.by) {
    case "system":
      return new ManagedIdentityCredential({ retryOptions: RETRY });
    case "clientId":
      return new ManagedIdentityCredential({ clientId: spec.id, retryOptions: RETRY });
    case "resourceId":
      return new ManagedIdentityCredential({ resourceId: spec.id, retryOptions: RETRY });
    case "objectId":
      return new ManagedIdentityCredential({ objectId: spec.id, retryOptions: RETRY });
  }
}
