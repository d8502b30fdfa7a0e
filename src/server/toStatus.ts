/**
 * The only place that turns keyless errors into gRPC statuses (pluggable-components spec, section 5).
 *
 * - ETag mismatch / invalid: FAILED_PRECONDITION / INVALID_ARGUMENT with exactly one google.rpc.BadRequest
 *   detail whose one violation has field "etag"; daprd builds its 409/400 answer from the description.
 * - Other bad input on state calls: a "kit" ErrorInfo detail so daprd answers HTTP 400 rather than 500.
 * - Anything unrecognised: INTERNAL with a generic message; the original stays in our log only.
 */
import { Metadata, status as Status, type ServiceError } from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import type { ErrorCode, KeylessError } from "../errors/keylessError.js";
import { scrubCredentials } from "../observability/scrub.js";

interface Mapping {
  grpc: Status;
  /** HTTP status daprd should use, sent as a kit ErrorInfo detail (state RPCs only). */
  http?: number;
}

const MAPPINGS: Record<ErrorCode, Mapping> = {
  INSTANCE_HEADER_MISSING: { grpc: Status.INVALID_ARGUMENT },
  INSTANCE_HEADER_CONFLICT: { grpc: Status.INVALID_ARGUMENT },
  INSTANCE_UNKNOWN: { grpc: Status.FAILED_PRECONDITION, http: 503 },
  INSTANCE_RESTORE_FAILED: { grpc: Status.FAILED_PRECONDITION, http: 503 },
  INSTANCE_IN_USE: { grpc: Status.FAILED_PRECONDITION },
  METADATA_INVALID: { grpc: Status.INVALID_ARGUMENT },
  KEY_INVALID: { grpc: Status.INVALID_ARGUMENT, http: 400 },
  VALUE_TOO_LARGE: { grpc: Status.INVALID_ARGUMENT, http: 400 },
  TTL_INVALID: { grpc: Status.INVALID_ARGUMENT, http: 400 },
  ETAG_MISMATCH: { grpc: Status.FAILED_PRECONDITION },
  ETAG_INVALID: { grpc: Status.INVALID_ARGUMENT },
  REQUEST_INVALID: { grpc: Status.INVALID_ARGUMENT, http: 400 },
  TRANSACTION_TOO_LARGE: { grpc: Status.INVALID_ARGUMENT, http: 400 },
  SECRET_NOT_FOUND: { grpc: Status.NOT_FOUND },
  SECRET_NAME_INVALID: { grpc: Status.INVALID_ARGUMENT },
  SOURCE_FAILED: { grpc: Status.UNAVAILABLE },
  SECRET_NOT_ALLOWED: { grpc: Status.PERMISSION_DENIED },
  IDENTITY_UNKNOWN: { grpc: Status.FAILED_PRECONDITION, http: 503 },
  IDENTITY_UNREACHABLE: { grpc: Status.UNAVAILABLE, http: 503 },
  IDENTITY_FAILED: { grpc: Status.UNAVAILABLE, http: 503 },
  BACKEND_FAILED: { grpc: Status.UNAVAILABLE, http: 503 },
  INTERNAL: { grpc: Status.INTERNAL },
};

export const ERROR_DOMAIN = "keyless.dapr.io";

export interface StatusEncoder {
  /** @param kitDetails whether the calling RPC is one where daprd honours kit ErrorInfo details. */
  toServiceError(err: KeylessError, kitDetails: boolean): Partial<ServiceError>;
}

export function createStatusEncoder(root: protobuf.Root): StatusEncoder {
  const StatusType = root.lookupType("google.rpc.Status");
  const BadRequest = root.lookupType("google.rpc.BadRequest");
  const ErrorInfo = root.lookupType("google.rpc.ErrorInfo");

  const any = (typeName: string, bytes: Uint8Array) => ({
    type_url: `type.googleapis.com/${typeName}`,
    value: bytes,
  });

  function withDetails(code: Status, message: string, detail: { type_url: string; value: Uint8Array }) {
    const encoded = StatusType.encode(StatusType.create({ code, message, details: [detail] })).finish();
    const metadata = new Metadata();
    metadata.set("grpc-status-details-bin", Buffer.from(encoded));
    return { code, details: message, message, metadata };
  }

  return {
    toServiceError(e, kitDetails) {
      // Messages are written without credentials; scrubbing is the defence in depth before they leave.
      const err = { code: e.code, message: scrubCredentials(e.message) };
      const mapping = MAPPINGS[err.code] ?? MAPPINGS.INTERNAL;
      if (err.code === "ETAG_MISMATCH" || err.code === "ETAG_INVALID") {
        const bad = BadRequest.encode(
          BadRequest.create({ fieldViolations: [{ field: "etag", description: err.message }] }),
        ).finish();
        return withDetails(mapping.grpc, err.message, any("google.rpc.BadRequest", bad));
      }
      if (kitDetails && mapping.http !== undefined) {
        const info = ErrorInfo.encode(
          ErrorInfo.create({
            reason: err.code,
            domain: ERROR_DOMAIN,
            metadata: { kit_error: "true", http_code: String(mapping.http), tag: `KEYLESS_${err.code}` },
          }),
        ).finish();
        return withDetails(mapping.grpc, err.message, any("google.rpc.ErrorInfo", info));
      }
      return { code: mapping.grpc, details: err.message, message: err.message };
    },
  };
}
