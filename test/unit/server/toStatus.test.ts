import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { secretErrors } from "../../../src/errors/secrets.js";
import { stateErrors } from "../../../src/errors/state.js";
import { loadStatusRoot } from "../../../src/server/protos.js";
import { createStatusEncoder } from "../../../src/server/toStatus.js";
import { decodeStatusDetails } from "../../helpers/socketClient.js";

const encoder = createStatusEncoder(loadStatusRoot());

function details(e: ReturnType<typeof encoder.toServiceError>) {
  const bin = e.metadata?.get("grpc-status-details-bin")[0];
  return bin instanceof Buffer ? decodeStatusDetails(bin) : undefined;
}

describe("toStatus", () => {
  it("encodes an etag mismatch as FAILED_PRECONDITION with exactly one BadRequest violation on etag", () => {
    const e = encoder.toServiceError(stateErrors.etagMismatch("app||k"), true);
    expect(e.code).toBe(status.FAILED_PRECONDITION);
    const d = details(e)!;
    expect(d.code).toBe(status.FAILED_PRECONDITION);
    expect(d.message).toBe(e.details);
    expect(d.details).toHaveLength(1);
    expect(d.details[0]!.typeUrl).toBe("type.googleapis.com/google.rpc.BadRequest");
    const violations = d.details[0]!.decoded.fieldViolations as { field: string; description: string }[];
    expect(violations).toHaveLength(1);
    expect(violations[0]!.field).toBe("etag");
    expect(violations[0]!.description).toContain("app||k");
  });

  it("encodes an invalid etag as INVALID_ARGUMENT with the same detail shape", () => {
    const e = encoder.toServiceError(stateErrors.etagInvalid("k", "zz", "32 hex digits"), true);
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect((details(e)!.details[0]!.decoded.fieldViolations as unknown[]).length).toBe(1);
  });

  it("adds a kit ErrorInfo with http_code 400 for bad state input", () => {
    const e = encoder.toServiceError(stateErrors.keyEmpty("s"), true);
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    const d = details(e)!;
    expect(d.details[0]!.typeUrl).toBe("type.googleapis.com/google.rpc.ErrorInfo");
    expect(d.details[0]!.decoded.metadata).toEqual({
      kit_error: "true",
      http_code: "400",
      tag: "KEYLESS_KEY_INVALID",
    });
  });

  it("sends no details where daprd ignores them (secrets, transactions)", () => {
    const e = encoder.toServiceError(stateErrors.keyEmpty("s"), false);
    expect(e.metadata).toBeUndefined();
    const nf = encoder.toServiceError(secretErrors.secretNotFound("s", "n", ["file(x)"]), false);
    expect(nf.code).toBe(status.NOT_FOUND);
  });
});
