/**
 * How the Entra ID stand-in judges a client assertion against an application's federated identity
 * credentials, as Entra does for workload identity federation: the JWT's issuer, subject and audience
 * must match one federated credential of the application exactly (case-sensitive), its signature must
 * verify with the issuer's published keys, and it must be within its nbf..exp window.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { entraErrors, type EntraError } from "./entraErrors.js";
import { TOKEN_EXCHANGE_AUDIENCE } from "./serviceAccountIssuer.js";

export interface FederatedCredential {
  /** The cluster's OIDC issuer URL. */
  issuer: string;
  /** `system:serviceaccount:<namespace>:<name>` for Kubernetes. */
  subject: string;
  /** Defaults to ["api://AzureADTokenExchange"]. */
  audiences?: string[];
}

/** An issuer Entra can fetch keys from (its OIDC discovery document's jwks_uri). */
export interface TrustedIssuer {
  issuer: string;
  jwks: JSONWebKeySet;
}

export interface AssertionFacts {
  issuer?: string;
  subject?: string;
  /** The assertion's jti, so tests can tell which token file content was presented. */
  id?: string;
}

export type AssertionVerdict = ({ ok: true } | { ok: false; error: EntraError }) & AssertionFacts;

const iso = (epochSeconds: number | undefined) =>
  epochSeconds === undefined ? "(none)" : new Date(epochSeconds * 1000).toISOString();

function decode(assertion: string): JWTPayload | undefined {
  try {
    return decodeJwt(assertion);
  } catch {
    return undefined;
  }
}

export async function judgeAssertion(
  assertion: string,
  credentials: FederatedCredential[],
  issuers: TrustedIssuer[],
  nowMs: number,
): Promise<AssertionVerdict> {
  const claims = decode(assertion);
  if (!claims) return { ok: false, error: entraErrors.malformedAssertion() };
  const facts: AssertionFacts = {
    ...(claims.iss !== undefined && { issuer: claims.iss }),
    ...(claims.sub !== undefined && { subject: claims.sub }),
    ...(claims.jti !== undefined && { id: claims.jti }),
  };
  const audiences = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const match = credentials.find(
    (fc) =>
      fc.issuer === claims.iss &&
      fc.subject === claims.sub &&
      (fc.audiences ?? [TOKEN_EXCHANGE_AUDIENCE]).some((a) => audiences.includes(a)),
  );
  if (!match) {
    return {
      ok: false,
      error: entraErrors.noFederatedCredential(claims.iss ?? "", claims.sub ?? "", audiences.join(",")),
      ...facts,
    };
  }
  const keys = issuers.find((i) => i.issuer === match.issuer);
  if (!keys) return { ok: false, error: entraErrors.badSignature(match.issuer), ...facts };
  try {
    await jwtVerify(assertion, createLocalJWKSet(keys.jwks), {
      issuer: match.issuer,
      currentDate: new Date(nowMs),
    });
    return { ok: true, ...facts };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const timing =
      code === "ERR_JWT_EXPIRED" ||
      (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && (e as { claim?: unknown }).claim === "nbf");
    const error = timing
      ? entraErrors.assertionNotInTimeRange(new Date(nowMs).toISOString(), iso(claims.nbf), iso(claims.exp))
      : entraErrors.badSignature(match.issuer);
    return { ok: false, error, ...facts };
  }
}
