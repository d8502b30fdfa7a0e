/**
 * Wraps an async RPC body into a grpc-js unary handler: reads the instance header, maps every error to
 * a status through the StatusEncoder, and logs failures without request payloads.
 */
import type { handleUnaryCall, Metadata, sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import { errors } from "../errors/catalog.js";
import { isKeylessError } from "../errors/keylessError.js";
import { errorField, type Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { StatusEncoder } from "./toStatus.js";

export const INSTANCE_HEADER = "x-component-instance";

export interface RpcDeps {
  encoder: StatusEncoder;
  log: Logger;
  metrics?: Metrics;
}

export interface RpcSpec {
  service: string;
  rpc: string;
  /** Whether daprd honours kit ErrorInfo details on this RPC (state Get/Set/Delete/Bulk*, not secrets). */
  kit: boolean;
}

/**
 * The instance name from daprd's header; several identical values count as one. HTTP/2 peers may fold
 * repeated headers into one comma-separated value, and Dapr component names never contain commas.
 */
export function instanceFrom(metadata: Metadata, service: string): string {
  const values = metadata
    .get(INSTANCE_HEADER)
    .flatMap((v) => (typeof v === "string" ? v : v.toString("utf8")).split(","))
    .map((v) => v.trim());
  const distinct = [...new Set(values)];
  if (distinct.length === 0 || distinct[0] === "") throw errors.instanceHeaderMissing(service);
  if (distinct.length > 1) throw errors.instanceHeaderConflict(service, distinct);
  return distinct[0]!;
}

export function unary<Req, Res>(
  deps: RpcDeps,
  spec: RpcSpec,
  /** `peer` names the client connection (see listener.ts). */
  body: (req: Req, instance: string, peer: string) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  const op = `${spec.service}/${spec.rpc}`;
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    let instance = "";
    const fail = (e: unknown) => {
      if (isKeylessError(e)) {
        deps.log.warn({ op, instance, err: errorField(e) }, "request failed");
        callback(deps.encoder.toServiceError(e, spec.kit));
        return;
      }
      deps.log.error({ op, instance, err: errorField(e) }, "unexpected error");
      callback(deps.encoder.toServiceError(errors.internal(op), false));
    };
    try {
      instance = instanceFrom(call.metadata, spec.service);
      body(call.request, instance, call.getPeer()).then((res) => callback(null, res), fail);
    } catch (e) {
      fail(e);
    }
  };
}
