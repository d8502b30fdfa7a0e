/**
 * Minimal JWTs for the stand-ins: HS256-signed with a key the stand-ins share, carrying the claims Azure
 * resources (and Azurite's OAuth mode) look at: aud, iss (v1 sts.windows.net form), iat/nbf/exp, oid,
 * appid, tid, sub.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface TokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  oid: string;
  appid: string;
  tid: string;
  sub: string;
  xms_mirid?: string;
  [k: string]: unknown;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export class TokenSigner {
  constructor(readonly key: Buffer = randomBytes(32)) {}

  sign(claims: TokenClaims): string {
    const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const body = b64url(JSON.stringify(claims));
    const sig = createHmac("sha256", this.key).update(`${head}.${body}`).digest("base64url");
    return `${head}.${body}.${sig}`;
  }

  /** Returns the claims of a token this signer issued, or undefined for anything else. */
  verify(token: string): TokenClaims | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const expected = createHmac("sha256", this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2]!, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as TokenClaims;
    } catch {
      return undefined;
    }
  }
}
