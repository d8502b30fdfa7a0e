/**
 * The default credential factory of the CredentialPool: @azure/identity is imported, and the credential
 * constructed, on the first token request rather than when keyless starts (it costs ~200 ms and ~10 MiB,
 * and an instance that reads only files or env never needs it). It forwards the fresh-token path of the
 * credential it wraps, so a renewal after a 401 still reaches past MSAL's caches.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { freshTokenFrom, type FreshTokenSource } from "./cachedCredential.js";
import type { IdentitySpec } from "./identitySpec.js";

export function lazyCredentialFor(spec: IdentitySpec): TokenCredential & FreshTokenSource {
  let inner: Promise<TokenCredential> | undefined;
  const load = () =>
    (inner ??= import("./credentialFor.js").then(({ credentialFor }) => credentialFor(spec)));
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      return (await load()).getToken(scopes, options);
    },
    async getFreshToken(scope: string, claims?: string): Promise<AccessToken | null> {
      return freshTokenFrom(await load(), scope, claims);
    },
  };
}
