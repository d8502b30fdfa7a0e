/**
 * Wraps an async RPC body into a grpc-js unary handler: reads the instance header, maps every error to
 * a status through the StatusEncoder, and logs failures without request payloads.
 */
import type { handleUnaryCall, Metadata, sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import { errors } from "../errors/catalog.js";
import { isKeylessError } from "../errors/keylessError.js";
import { errorField, type Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { CancellableCall } from "./callSignal.js";
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

/** The calling connection, for the few RPCs (Init) that ask which daprd sent them (see listener.ts). */
export interface CallPeer extends CancellableCall {
  getPeer(): string;
}

/**
 * The instance name from daprd's header; several identical values count as one. HTTP/2 peers may fold
 * repeated headers into one comma-separated value, and Dapr component names never contain commas.
 */
export function instanceFrom(metadata: Metadata, service: string): string {
  const raw = metadata.get(INSTANCE_HEADER);
  // daprd sends one plain value on every call: answer it without building the general case's lists.
  const only = raw.length === 1 ? raw[0] : undefined;
  if (typeof only === "string" && only !== "" && !only.includes(",") && only.trim() === only) return only;
  const values = raw
    .flatMap((v) => (typeof v === "string" ? v : v.toString("utf8")).split(","))
    .map((v) => v.trim());
  const distinct = [...new Set(values)];
  if (distinct.length === 0 || distinct[0] === "") throw errors.instanceHeaderMissing(service);
  if (distinct.length > 1) throw errors.instanceHeaderConflict(service, distinct);
  return distinct[0]!;
}

/**
 * A grpc-js unary handler around `body`: reads the instance header, runs the body in the handler's own
 * turn and answers or fails through one shared `fail`. On every state operation's path, so it makes no
 * per-call closure beyond the two that settle the body's promise.
 */
export function unary<Req, Res>(
  deps: RpcDeps,
  spec: RpcSpec,
  body: (req: Req, instance: string, call: CallPeer) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  const op = `${spec.service}/${spec.rpc}`;
  const fail = (e: unknown, instance: string, callback: sendUnaryData<Res>) => {
    if (isKeylessError(e)) {
      deps.log.warn({ op, instance, err: errorField(e) }, "request failed");
      callback(deps.encoder.toServiceError(e, spec.kit));
      return;
    }
    deps.log.error({ op, instance, err: errorField(e) }, "unexpected error");
    callback(deps.encoder.toServiceError(errors.internal(op), false));
  };
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    let instance = "";
    let answer: Promise<Res>;
    try {
      instance = instanceFrom(call.metadata, spec.service);
      answer = body(call.request, instance, call);
    } catch (e) {
      fail(e, instance, callback);
      return;
    }
    answer.then(
      (res) => callback(null, res),
      (e: unknown) => fail(e, instance, callback),
    );
  };
}
