/** Table-driven: every kind of Azure SDK / MSAL / network failure becomes the same plain facts. */
import { createHttpHeaders, createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { AuthenticationError, CredentialUnavailableError } from "@azure/identity";
import { describe, expect, it } from "vitest";
import {
  claimsChallengeFrom,
  describeAzureFailure,
  retryAfterFrom,
} from "../../../src/errors/azureFailure.js";

const request = createPipelineRequest({ url: "https://acct.table.core.windows.net/t?sig=CANARY" });
function rest(
  status: number | undefined,
  opts: { code?: string; details?: unknown; headers?: Record<string, string> } = {},
) {
  const headers = createHttpHeaders(opts.headers ?? {});
  return new RestError("the SDK's message (may echo a URL)", {
    ...(status !== undefined && { statusCode: status, response: { status, headers, request } }),
    ...(opts.code !== undefined && { code: opts.code }),
    request,
  }) as RestError & { details?: unknown };
}
function withDetails(e: RestError & { details?: unknown }, details: unknown) {
  e.details = details;
  return e;
}
const errno = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

const NOW = Date.parse("2026-01-01T00:00:00Z");
const cases: [string, unknown, Record<string, unknown>][] = [
  [
    "Key Vault 404",
    withDetails(rest(404), { error: { code: "SecretNotFound" } }),
    { kind: "http", status: 404, serviceCode: "SecretNotFound", transient: false },
  ],
  [
    "Key Vault 403 RBAC",
    withDetails(rest(403), { error: { code: "Forbidden", innerError: { code: "ForbiddenByRbac" } } }),
    { status: 403, serviceCode: "ForbiddenByRbac", missingRoleHint: true },
  ],
  [
    "Key Vault 403 disabled secret",
    withDetails(rest(403), { error: { code: "Forbidden", innerError: { code: "SecretDisabled" } } }),
    { status: 403, serviceCode: "SecretDisabled", missingRoleHint: false },
  ],
  [
    "Tables 404 TableNotFound",
    withDetails(rest(404), { errorCode: "TableNotFound" }),
    { status: 404, serviceCode: "TableNotFound" },
  ],
  [
    "Tables 404 ResourceNotFound via header",
    rest(404, { headers: { "x-ms-error-code": "ResourceNotFound" } }),
    { serviceCode: "ResourceNotFound" },
  ],
  [
    "429 with Retry-After seconds",
    rest(429, { headers: { "retry-after": "30" } }),
    { transient: true, retryAfterMs: 30_000 },
  ],
  [
    "503 with Retry-After date",
    rest(503, { headers: { "retry-after": new Date(NOW + 5000).toUTCString() } }),
    { transient: true, retryAfterMs: 5000 },
  ],
  [
    "503 with x-ms-retry-after-ms",
    rest(503, { headers: { "x-ms-retry-after-ms": "250" } }),
    { retryAfterMs: 250 },
  ],
  ["400 is not transient", rest(400), { transient: false, missingRoleHint: false }],
  [
    "send error with errno",
    rest(undefined, { code: "ECONNREFUSED" }),
    { kind: "network", errno: "ECONNREFUSED", transient: true },
  ],
  [
    "send error REQUEST_SEND_ERROR with cause",
    Object.assign(rest(undefined, { code: "REQUEST_SEND_ERROR" }), { cause: errno("ECONNRESET") }),
    { kind: "network", errno: "ECONNRESET", transient: true },
  ],
  ["bare Node socket error", errno("ENOTFOUND"), { kind: "network", errno: "ENOTFOUND" }],
  [
    "AggregateError of two refusals",
    Object.assign(new AggregateError([errno("ECONNREFUSED"), errno("ECONNREFUSED")]), {
      code: "ECONNREFUSED",
    }),
    { kind: "network", errno: "ECONNREFUSED" },
  ],
  [
    "abort on our deadline",
    Object.assign(new Error("aborted"), { name: "AbortError" }),
    { kind: "timeout", transient: true },
  ],
  [
    "identity AuthenticationError 400",
    new AuthenticationError(400, { error: "invalid_request", error_description: "x" }),
    { kind: "http", status: 400, transient: false },
  ],
  [
    "identity unavailable wrapping MSAL network_error",
    new CredentialUnavailableError("x", {
      cause: Object.assign(new Error("y"), { errorCode: "network_error" }),
    }),
    { kind: "network", transient: true },
  ],
  [
    "identity unavailable wrapping an endpoint 500",
    new CredentialUnavailableError("x", { cause: Object.assign(new Error("y"), { status: 500 }) }),
    { kind: "http", status: 500, transient: true },
  ],
  ["a plain bug", new TypeError("boom"), { kind: "unknown", transient: false, errorName: "TypeError" }],
  [
    "401 claims challenge",
    rest(401, {
      headers: {
        "www-authenticate": `Bearer realm="", error="insufficient_claims", claims="${Buffer.from('{"access_token":{"nbf":{"essential":true}}}').toString("base64")}"`,
      },
    }),
    { status: 401, claims: '{"access_token":{"nbf":{"essential":true}}}' },
  ],
];

describe("describeAzureFailure", () => {
  it.each(cases)("%s", (_title, error, expected) => {
    expect(describeAzureFailure(error, NOW)).toMatchObject(expected);
  });

  it("never copies the SDK's free text (which may carry a SAS) into the facts", () => {
    const f = describeAzureFailure(rest(403), NOW);
    expect(JSON.stringify(f)).not.toContain("CANARY");
    expect(JSON.stringify(f)).not.toContain("message");
  });

  it("survives cycles and odd values", () => {
    const a: { cause?: unknown; code: number } = { code: 5 };
    a.cause = a;
    expect(describeAzureFailure(a).kind).toBe("unknown");
    expect(describeAzureFailure(undefined).kind).toBe("unknown");
    expect(describeAzureFailure("text").kind).toBe("unknown");
  });

  it("reads Retry-After and claims challenges on their own", () => {
    expect(retryAfterFrom(createHttpHeaders({ "retry-after": "0" }))).toBeUndefined();
    expect(retryAfterFrom(createHttpHeaders({}))).toBeUndefined();
    expect(claimsChallengeFrom('Bearer authorization="x", resource="y"')).toBeUndefined();
    expect(claimsChallengeFrom('Bearer error="invalid_token"')).toBeUndefined();
  });
});
