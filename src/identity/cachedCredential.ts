/**
 * A TokenCredential with a token cache per scope in front of the real credential:
 * - one request at a time per scope (concurrent callers share it);
 * - refreshed ahead of expiry in the background, so callers rarely wait;
 * - `invalidate(scope)` drops a token a resource rejected (401) so the next call fetches a fresh one;
 * - failures become KeylessErrors naming the identity (see classify.ts).
 * Tokens never leave this object except as the return value of getToken; nothing here logs them.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { classifyTokenError } from "./classify.js";
import type { IdentitySpec } from "./identitySpec.js";

/** Refresh this long before expiry (and never use a token in its last minute). */
const REFRESH_AHEAD_MS = 5 * 60_000;
const MIN_VALIDITY_MS = 60_000;

interface Entry {
  token?: AccessToken;
  fetchedAt?: number;
  pending?: Promise<AccessToken>;
}

export interface TokenStats {
  requests: number;
  failures: number;
}

export class CachedCredential implements TokenCredential {
  private readonly entries = new Map<string, Entry>();
  readonly stats: TokenStats = { requests: 0, failures: 0 };

  constructor(
    readonly spec: IdentitySpec,
    private readonly inner: TokenCredential,
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes.join(" ") : scopes;
    let entry = this.entries.get(scope);
    if (!entry) {
      entry = {};
      this.entries.set(scope, entry);
    }
    const t = entry.token;
    const now = this.now();
    if (t && t.expiresOnTimestamp - now > MIN_VALIDITY_MS) {
      // Five minutes ahead, or half-way through the life of a short-lived token.
      const life = t.expiresOnTimestamp - (entry.fetchedAt ?? now);
      const ahead = Math.min(REFRESH_AHEAD_MS, life / 2);
      const refreshAt = Math.min(t.refreshAfterTimestamp ?? Infinity, t.expiresOnTimestamp - ahead);
      if (now >= refreshAt && !entry.pending) {
        // Refresh in the background; a failure keeps the still-valid token.
        this.fetch(scope, entry, options).catch(() => undefined);
      }
      return t;
    }
    return entry.pending ?? this.fetch(scope, entry, options);
  }

  /** Drops the cached token for a scope after a resource refused it. */
  invalidate(scope: string): void {
    this.entries.delete(scope);
  }

  private fetch(scope: string, entry: Entry, options?: GetTokenOptions): Promise<AccessToken> {
    this.stats.requests++;
    const p = this.inner
      .getToken(scope, {
        ...(options?.abortSignal && { abortSignal: options.abortSignal }),
        ...(options?.tenantId && { tenantId: options.tenantId }),
        ...(options?.claims && { claims: options.claims }),
      })
      .then(
        (token) => {
          if (!token) throw new Error("the credential returned no token");
          entry.token = token;
          entry.fetchedAt = this.now();
          return token;
        },
        (e: unknown) => {
          this.stats.failures++;
          throw classifyTokenError(this.spec, scope, e);
        },
      )
      .finally(() => {
        if (entry.pending === p) delete entry.pending;
      });
    entry.pending = p;
    return p;
  }
}
