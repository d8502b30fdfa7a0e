/**
 * Managed identity (Container Apps, App Service, AKS pod identity, VMs) through @azure/identity, plus a
 * fresh-token path. MSAL keeps managed-identity tokens in one process-wide cache (for their whole 24-hour
 * life), and ManagedIdentityCredential never asks it to refresh: neither a new credential instance nor a
 * claims challenge would ever reach the identity endpoint. getFreshToken asks MSAL itself with
 * `forceRefresh` (and the challenge's claims), which also replaces the token in MSAL's cache.
 */
import {
  ManagedIdentityCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
} from "@azure/identity";
import { ManagedIdentityApplication, type ManagedIdentityIdParams } from "@azure/msal-node";
import type { FreshTokenSource } from "../cachedCredential.js";
import type { IdentitySpec } from "../identitySpec.js";

/** Bounded retries with backoff: transient endpoint failures at start-up are retried, but never for long. */
const RETRY = { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 };

type ManagedSpec = Extract<IdentitySpec, { kind: "managed" }>;

function idParams(spec: ManagedSpec): ManagedIdentityIdParams {
  switch (spec.by) {
    case "system":
      return {};
    case "clientId":
      return { userAssignedClientId: spec.id };
    case "resourceId":
      return { userAssignedResourceId: spec.id };
    case "objectId":
      return { userAssignedObjectId: spec.id };
  }
}

function sdkCredential(spec: ManagedSpec): ManagedIdentityCredential {
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

export class ManagedIdentityTokenCredential implements TokenCredential, FreshTokenSource {
  private readonly sdk: ManagedIdentityCredential;

  constructor(private readonly spec: ManagedSpec) {
    this.sdk = sdkCredential(spec);
  }

  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const scope = Array.isArray(scopes) ? scopes.join(" ") : scopes;
    if (options?.claims) return this.getFreshToken(scope, options.claims);
    return this.sdk.getToken(scopes, options);
  }

  async getFreshToken(scope: string, claims?: string): Promise<AccessToken> {
    const app = new ManagedIdentityApplication({ managedIdentityIdParams: idParams(this.spec) });
    const r = await app.acquireToken({ resource: scope, forceRefresh: true, ...(claims && { claims }) });
    return {
      token: r.accessToken,
      expiresOnTimestamp: (r.expiresOn ?? new Date()).getTime(),
      ...(r.refreshOn && { refreshAfterTimestamp: r.refreshOn.getTime() }),
      tokenType: "Bearer",
    };
  }
}

export function managedIdentityCredential(spec: ManagedSpec): TokenCredential {
  return new ManagedIdentityTokenCredential(spec);
}
