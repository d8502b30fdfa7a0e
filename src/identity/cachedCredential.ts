/**
 * A TokenCredential with a token cache per scope in front of the real credential:
 * - one request at a time per scope (concurrent callers share it);
 * - refreshed ahead of expiry in the background, so callers rarely wait;
 * - `renew(scope)` after a resource rejected the token (401), and any request that carries claims (a
 *   claims challenge), get a genuinely new token: they bypass this cache *and* every cache below it
 *   (MSAL keeps managed-identity tokens process-wide), through the credential's fresh-token path;
 * - failures become KeylessErrors naming the identity (see classify.ts).
 * Tokens never leave this object except as the return value of getToken; nothing here logs them.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { SingleFlight } from "../util/singleFlight.js";
import { identityKey, type IdentitySpec } from "./identitySpec.js";
import type { Metrics } from "../observability/metrics.js";

/** Refresh this long before expiry (and never use a token in its last minute). */
const REFRESH_AHEAD_MS = 5 * 60_000;
const MIN_VALIDITY_MS = 60_000;

/** A credential that can mint a new token on demand, past every cache (see credentials/managedIdentity.ts). */
export interface FreshTokenSource {
  getFreshToken(scope: string, claims?: string): Promise<AccessToken | null>;
}

function canMintFresh(c: TokenCredential): c is TokenCredential & FreshTokenSource {
  return "getFreshToken" in c && typeof c.getFreshToken === "function";
}

/**
 * A token past every cache of `c`: its fresh-token path where it has one, else an ordinary request, which
 * is fresh because callers pass a new credential instance whose own caches are empty.
 */
export function freshTokenFrom(
  c: TokenCredential,
  scope: string,
  claims?: string,
): Promise<AccessToken | null> {
  return canMintFresh(c)
    ? c.getFreshToken(scope, claims)
    : c.getToken(scope, claims ? { claims } : undefined);
}

interface Entry {
  token: AccessToken;
  fetchedAt: number;
}

export interface TokenStats {
  requests: number;
  failures: number;
  renewals: number;
}

export class CachedCredential implements TokenCredential {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new SingleFlight<string, AccessToken>();
  /** Every scope a token was asked for (what a readiness probe asks again). */
  private readonly scopes = new Set<string>();
  readonly stats: TokenStats = { requests: 0, failures: 0, renewals: 0 };

  /**
   * @param fresh builds a new instance of the underlying credential, whose own caches are empty; used to
   *   renew a token when the credential cannot mint one past its caches itself.
   */
  constructor(
    readonly spec: IdentitySpec,
    private readonly inner: TokenCredential,
    private readonly now: () => number = Date.now,
    private readonly fresh: () => TokenCredential = () => inner,
    private readonly metrics?: Metrics,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes.join(" ") : scopes;
    if (options?.claims) return this.renew(scope, options.claims);
    const entry = this.entries.get(scope);
    const now = this.now();
    if (entry && entry.token.expiresOnTimestamp - now > MIN_VALIDITY_MS) {
      if (now >= this.refreshAt(entry) && !this.flights.has(scope)) {
        // Refresh in the background; a failure keeps the still-valid token.
        this.fetch(scope, options).catch(() => undefined);
      }
      return entry.token;
    }
    return this.fetch(scope, options);
  }

  /**
   * A new token for `scope` after a resource rejected the current one (or asked for claims). Concurrent
   * renewals share one request. The token cached before is dropped either way.
   */
  renew(scope: string, claims?: string): Promise<AccessToken> {
    this.entries.delete(scope);
    return this.flights.run(`renew\u0000${scope}`, () => {
      this.stats.renewals++;
      const source = this.fresh();
      return this.load(scope, () => freshTokenFrom(source, scope, claims));
    });
  }

  /**
   * Asks for a new token for every scope this identity was used for, past every cache (readiness: a
   * cached token says nothing about whether the identity endpoint still answers). The token in use is
   * kept when the probe fails; a new one replaces it when the probe succeeds. Concurrent probes share one.
   */
  async probe(): Promise<void> {
    for (const scope of this.scopes) {
      await this.flights.run(`probe\u0000${scope}`, () => {
        const source = this.fresh();
        return this.load(scope, () => freshTokenFrom(source, scope));
      });
    }
  }

  /** Drops the cached token for a scope (the next call fetches, possibly from a lower cache). */
  invalidate(scope: string): void {
    this.entries.delete(scope);
  }

  /** Five minutes ahead, or half-way through the life of a short-lived token. */
  private refreshAt(e: Entry): number {
    const life = e.token.expiresOnTimestamp - e.fetchedAt;
    const ahead = Math.min(REFRESH_AHEAD_MS, life / 2);
    return Math.min(e.token.refreshAfterTimestamp ?? Infinity, e.token.expiresOnTimestamp - ahead);
  }

  private fetch(scope: string, options?: GetTokenOptions): Promise<AccessToken> {
    return this.flights.run(scope, () =>
      this.load(scope, () =>
        this.inner.getToken(scope, {
          ...(options?.abortSignal && { abortSignal: options.abortSignal }),
          ...(options?.tenantId && { tenantId: options.tenantId }),
        }),
      ),
    );
  }

  /** Loaded on the first failure: the classifier reads Azure SDK errors, whose code start-up need not load. */
  private async classify(scope: string, e: unknown): Promise<Error> {
    const { classifyTokenError } = await import("./classify.js");
    return classifyTokenError(this.spec, scope, e);
  }

  private async load(scope: string, get: () => Promise<AccessToken | null>): Promise<AccessToken> {
    this.stats.requests++;
    this.scopes.add(scope);
    let token: AccessToken | null;
    try {
      token = await get();
    } catch (e) {
      this.failed();
      throw await this.classify(scope, e);
    }
    if (!token) {
      this.failed();
      throw await this.classify(scope, new Error("the credential returned no token"));
    }
    this.entries.set(scope, { token, fetchedAt: this.now() });
    this.metrics?.tokenRequest(identityKey(this.spec), true);
    this.metrics?.tokenExpiry(identityKey(this.spec), token.expiresOnTimestamp);
    return token;
  }

  private failed(): void {
    this.stats.failures++;
    this.metrics?.tokenRequest(identityKey(this.spec), false);
  }
}
