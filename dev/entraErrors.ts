/**
 * Error answers of the Entra ID stand-in, in the shape Microsoft Entra's token service uses:
 * `{ error, error_description: "AADSTS<n>: ...", error_codes: [n], timestamp, trace_id, correlation_id,
 * error_uri }`. MSAL reads `error`, `error_description` and `error_codes`; clients (and keyless) key on
 * the AADSTS number. The wording is the stand-in's own; only the codes and the shape follow Entra.
 */
import { randomUUID } from "node:crypto";

export interface EntraError {
  status: number;
  error: string;
  code: number;
  description: string;
}

export const entraErrors = {
  tenantNotFound: (tenant: string): EntraError => ({
    status: 400,
    error: "invalid_tenant",
    code: 90002,
    description: `Tenant '${tenant}' not found. Check the tenant ID and that you sign in to the right cloud.`,
  }),
  unsupportedGrant: (grant: string): EntraError => ({
    status: 400,
    error: "unsupported_grant_type",
    code: 70003,
    description: `The grant type '${grant}' is not supported by this stand-in; use client_credentials.`,
  }),
  badAssertionType: (): EntraError => ({
    status: 400,
    error: "invalid_request",
    code: 900144,
    description:
      "The request body must contain client_assertion with client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
  }),
  badScope: (scope: string): EntraError => ({
    status: 400,
    error: "invalid_scope",
    code: 1002012,
    description: `The scope '${scope}' is not valid. Client credential flows need one scope: the resource identifier followed by /.default.`,
  }),
  applicationNotFound: (clientId: string, tenant: string): EntraError => ({
    status: 400,
    error: "unauthorized_client",
    code: 700016,
    description: `Application with identifier '${clientId}' was not found in the directory '${tenant}'. The request may have been sent to the wrong tenant.`,
  }),
  malformedAssertion: (): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 50027,
    description: "The client assertion is not a well-formed JWT.",
  }),
  badSignature: (issuer: string): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 700027,
    description: `The client assertion failed signature validation against the keys of issuer '${issuer}'.`,
  }),
  assertionNotInTimeRange: (nowIso: string, fromIso: string, toIso: string): EntraError => ({
    status: 401,
    error: "invalid_client",
    code: 700024,
    description: `Client assertion is not within its valid time range. Current time: ${nowIso}, assertion valid from ${fromIso}, expiry time of assertion ${toIso}.`,
  }),
  noFederatedCredential: (issuer: string, subject: string, audience: string): EntraError => ({
    status: 400,
    error: "invalid_request",
    code: 70021,
    description: `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'.`,
  }),
};

/** The JSON body Entra sends with an error, with fresh trace and correlation ids. */
export function entraErrorBody(e: EntraError, correlationId: string | undefined, at: Date): unknown {
  const timestamp = at
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  return {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.description} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
  };
}
