/**
 * Workload identity (AKS): the projected service-account token in AZURE_FEDERATED_TOKEN_FILE is exchanged
 * at Microsoft Entra ID (AZURE_AUTHORITY_HOST) for an access token, as the client assertion of a
 * client-credentials grant (ClientAssertionCredential, MSAL underneath). Unlike WorkloadIdentityCredential,
 * which keeps the file's content for five minutes, the file is read every time MSAL needs a new access
 * token, so a rotated file is used at once. Failures name the identity and the fix (federatedToken.ts,
 * entraFailure.ts).
 */
import {
  ClientAssertionCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
} from "@azure/identity";
import { isKeylessError, type KeylessError } from "../../errors/keylessError.js";
import { entraFailure } from "../entraFailure.js";
import { readFederatedToken, type AssertionClaims } from "../federatedToken.js";
import type { IdentitySpec } from "../identitySpec.js";
import { workloadSettings, type WorkloadSettings } from "../workloadSettings.js";

/** Bounded retries with backoff for transient authority failures; refusals (4xx) are not retried. */
const RETRY = { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 };

export class WorkloadIdentity implements TokenCredential {
  private readonly inner: ClientAssertionCredential;
  /** Set when reading the token file failed during the current request: that error is the one to report. */
  private readFailure: KeylessError | undefined;
  private presented: AssertionClaims | undefined;

  constructor(
    readonly settings: WorkloadSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.inner = new ClientAssertionCredential(settings.tenantId, settings.clientId, () => this.assertion(), {
      authorityHost: settings.authorityHost,
      disableInstanceDiscovery: settings.disableInstanceDiscovery,
      retryOptions: RETRY,
    });
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.readFailure = undefined;
    try {
      return await this.inner.getToken(scopes, options);
    } catch (e) {
      const scope = Array.isArray(scopes) ? scopes.join(" ") : scopes;
      throw this.readFailure ?? entraFailure(this.settings, scope, this.presented, e, options?.tenantId);
    }
  }

  private async assertion(): Promise<string> {
    try {
      const { token, claims } = await readFederatedToken(this.settings, this.now);
      this.presented = claims;
      return token;
    } catch (e) {
      if (isKeylessError(e)) this.readFailure = e;
      throw e;
    }
  }
}

export function workloadIdentityCredential(
  spec: Extract<IdentitySpec, { kind: "workload" }>,
  env: NodeJS.ProcessEnv = process.env,
): TokenCredential {
  const settings = workloadSettings(spec, env);
  if ("code" in settings) return { getToken: () => Promise.reject(settings) };
  return new WorkloadIdentity(settings);
}
