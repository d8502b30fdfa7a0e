/**
 * What the stand-in vault checks on a bearer token, in Key Vault's order and words: signature and issuer
 * (the identity stand-in's signer), audience, tenant, expiry; then revocation, which a real service learns
 * from Entra ID (continuous access evaluation). A revoked token gets a plain 401, or, in "claims" mode, a
 * 401 with a claims challenge (`error="insufficient_claims", claims="<base64>"`) as CAE-enabled services send.
 */
import type { TokenClaims, TokenSigner } from "../jwt.js";

export const AUDIENCE = "https://vault.azure.net";

export type TokenVerdict =
  { ok: true; claims: TokenClaims } | { ok: false; problem: string; challenge?: string };

export class TokenCheck {
  private revokedBefore = 0;
  private readonly revoked = new Set<string>();
  private readonly challenged = new Map<string, string>();
  /** How many claims challenges were sent. */
  challengesSent = 0;

  constructor(
    private readonly signer: TokenSigner,
    private readonly tenantId: string,
  ) {}

  /** The 401 challenge that tells a client where to get a token, for requests without one. */
  bearerChallenge(extra = ""): string {
    return `Bearer authorization="https://login.microsoftonline.com/${this.tenantId}", resource="${AUDIENCE}"${extra}`;
  }

  revokeIssuedBefore(epochSeconds: number): void {
    this.revokedBefore = epochSeconds;
  }

  /** Rejects exactly these tokens from now on (plain 401, or a claims challenge when `claims` is given). */
  revoke(tokens: Iterable<string>, claims?: string): void {
    for (const t of tokens) {
      if (claims === undefined) this.revoked.add(t);
      else this.challenged.set(t, claims);
    }
  }

  check(token: string): TokenVerdict {
    const claims = this.signer.verify(token);
    const now = Math.floor(Date.now() / 1000);
    if (!claims) return { ok: false, problem: "AKV10032: Invalid issuer or signature." };
    if (claims.aud.replace(/\/$/, "") !== AUDIENCE)
      return { ok: false, problem: "AKV10022: Invalid audience." };
    if (claims.tid !== this.tenantId) return { ok: false, problem: "AKV10032: Invalid issuer." };
    if (claims.exp <= now) return { ok: false, problem: "AKV10022: Token expired." };
    if (claims.iat < this.revokedBefore || this.revoked.has(token)) {
      return { ok: false, problem: "AKV10022: Token was revoked." };
    }
    const wanted = this.challenged.get(token);
    if (wanted !== undefined) {
      this.challengesSent++;
      const encoded = Buffer.from(wanted, "utf8").toString("base64");
      return {
        ok: false,
        problem: "AKV10022: Token was revoked (continuous access evaluation).",
        challenge: this.bearerChallenge(`, error="insufficient_claims", claims="${encoded}"`),
      };
    }
    return { ok: true, claims };
  }
}
