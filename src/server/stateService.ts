/**
 * gRPC adapter for state.keyless: StateStore, TransactionalStateStore and TransactionalStoreMultiMaxSize.
 * Only proto <-> domain conversion lives here (pluggable-components spec, sections 4.2-4.7).
 */
import type { Server } from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/proto-loader";
import type { DeleteRequest__Output } from "../gen/dapr/proto/components/v1/DeleteRequest.js";
import type { GetResponse } from "../gen/dapr/proto/components/v1/GetResponse.js";
import type { SetRequest__Output } from "../gen/dapr/proto/components/v1/SetRequest.js";
import type { StateOptions__Output } from "../gen/dapr/proto/components/v1/StateOptions.js";
import type { StateStoreHandlers } from "../gen/dapr/proto/components/v1/StateStore.js";
import type { TransactionalStateStoreHandlers } from "../gen/dapr/proto/components/v1/TransactionalStateStore.js";
import type { TransactionalStoreMultiMaxSizeHandlers } from "../gen/dapr/proto/components/v1/TransactionalStoreMultiMaxSize.js";
import { errors } from "../errors/catalog.js";
import type { InstanceRegistry } from "./instances.js";
import { lazyKind } from "../components/lazyKind.js";
import { loadRuntime } from "../runtime/loadRuntime.js";
import type {
  Concurrency,
  DeleteInput,
  GetResult,
  SetInput,
  StateStore,
  TransactOp,
} from "../state/store.js";
import { unary, type CallPeer, type RpcDeps } from "./unary.js";
import { isKeylessError } from "../errors/keylessError.js";
import type { Metrics } from "../observability/metrics.js";

const PKG = "dapr.proto.components.v1";
export const STATE_SERVICES = [
  `${PKG}.StateStore`,
  `${PKG}.TransactionalStateStore`,
  `${PKG}.TransactionalStoreMultiMaxSize`,
];

const stateKind = lazyKind<StateStore>("state", async () => (await loadRuntime()).stateKind);

export function toConcurrency(options: StateOptions__Output | null): Concurrency {
  switch (options?.concurrency) {
    case "CONCURRENCY_FIRST_WRITE":
      return "first-write";
    case "CONCURRENCY_LAST_WRITE":
      return "last-write";
    default:
      return "unspecified";
  }
}

export function toSetInput(req: SetRequest__Output | null | undefined): SetInput {
  if (!req) throw errors.requestInvalid("a transaction operation has neither set nor delete");
  return {
    key: req.key,
    value: req.value,
    etag: req.etag ? req.etag.value : null,
    metadata: req.metadata ?? {},
    concurrency: toConcurrency(req.options),
    contentType: req.contentType,
  };
}

export function toDeleteInput(req: DeleteRequest__Output | null | undefined): DeleteInput {
  if (!req) throw errors.requestInvalid("a transaction operation has neither set nor delete");
  return {
    key: req.key,
    etag: req.etag ? req.etag.value : null,
    metadata: req.metadata ?? {},
    concurrency: toConcurrency(req.options),
  };
}

export function fromGetResult(r: GetResult): GetResponse {
  // A missing key is an empty OK response: daprd turns it into 204 (spec 4.2), never NOT_FOUND.
  if (r.value === undefined) return {};
  return {
    data: r.value,
    etag: r.etag === undefined ? null : { value: r.etag },
    metadata: r.metadata,
    contentType: r.contentType,
  };
}

export function registerStateStore(
  server: Server,
  pkg: Record<string, object>,
  registry: InstanceRegistry,
  deps: RpcDeps,
) {
  const svc = (name: string) => pkg[`${PKG}.${name}`] as ServiceDefinition;
  const rpc = <Req, Res>(
    name: string,
    kit: boolean,
    body: (req: Req, instance: string, call: CallPeer) => Promise<Res>,
  ) => unary<Req, Res>(deps, { service: "StateStore", rpc: name, kit }, body);
  const withStore = <R>(instance: string, call: CallPeer, fn: (s: StateStore) => Promise<R>) =>
    registry.use(stateKind, instance, fn, call);
  /** A state operation, counted and timed per instance, backend and operation. */
  const op = <R>(operation: string, instance: string, call: CallPeer, fn: (s: StateStore) => Promise<R>) =>
    withStore(instance, call, (s) => timed(deps.metrics, instance, s, operation, fn));

  const handlers: StateStoreHandlers = {
    Init: rpc("Init", false, async (req, instance, call) => {
      await registry.init(stateKind, instance, req.metadata?.properties ?? {}, call.getPeer());
      return {};
    }),
    Features: rpc("Features", false, (_req, instance, call) =>
      withStore(instance, call, async () => ({ features: [...stateKind.features] })),
    ),
    Ping: rpc("Ping", false, async () => ({})),
    Get: rpc("Get", true, (req, instance, call) =>
      op("get", instance, call, async (s) => fromGetResult(await s.get(req.key))),
    ),
    BulkGet: rpc("BulkGet", true, (req, instance, call) =>
      op("bulkGet", instance, call, async (s) => {
        const keys = req.items.map((i) => i.key);
        const results = await s.bulkGet(keys);
        // One item per requested key, in request order, with the key as requested (spec 4.5).
        return { items: results.map((r, i) => ({ key: keys[i]!, ...fromGetResult(r) })) };
      }),
    ),
    Set: rpc("Set", true, (req, instance, call) =>
      op("set", instance, call, (s) => s.set(toSetInput(req)).then(empty)),
    ),
    Delete: rpc("Delete", true, (req, instance, call) =>
      op("delete", instance, call, (s) => s.delete(toDeleteInput(req)).then(empty)),
    ),
    BulkSet: rpc("BulkSet", true, (req, instance, call) =>
      op("bulkSet", instance, call, (s) => s.bulkSet(req.items.map(toSetInput)).then(empty)),
    ),
    BulkDelete: rpc("BulkDelete", true, (req, instance, call) =>
      op("bulkDelete", instance, call, (s) => s.bulkDelete(req.items.map(toDeleteInput)).then(empty)),
    ),
  };
  server.addService(svc("StateStore"), handlers);

  const tx: TransactionalStateStoreHandlers = {
    Transact: unary(
      deps,
      { service: "TransactionalStateStore", rpc: "Transact", kit: false },
      (req, instance, call) =>
        op("transact", instance, call, async (s) => {
          const ops: TransactOp[] = req.operations.map((op) =>
            op.request === "set"
              ? { kind: "set" as const, ...toSetInput(op.set) }
              : op.request === "delete"
                ? { kind: "delete" as const, ...toDeleteInput(op.delete) }
                : (() => {
                    throw errors.requestInvalid("a transaction operation has neither set nor delete");
                  })(),
          );
          await s.transact(ops);
          return {};
        }),
    ),
  };
  server.addService(svc("TransactionalStateStore"), tx);

  const multi: TransactionalStoreMultiMaxSizeHandlers = {
    MultiMaxSize: unary(
      deps,
      { service: "TransactionalStoreMultiMaxSize", rpc: "MultiMaxSize", kit: false },
      (_req, instance, call) => withStore(instance, call, async (s) => ({ maxSize: s.maxTransactionOps })),
    ),
  };
  server.addService(svc("TransactionalStoreMultiMaxSize"), multi);
}

const empty = () => ({});

async function timed<R>(
  metrics: Metrics | undefined,
  instance: string,
  store: StateStore,
  operation: string,
  fn: (s: StateStore) => Promise<R>,
): Promise<R> {
  const start = performance.now();
  let outcome = "ok";
  try {
    return await fn(store);
  } catch (e) {
    outcome = isKeylessError(e) ? e.code : "error";
    throw e;
  } finally {
    metrics?.stateOperation(
      instance,
      store.backendKind,
      operation,
      outcome,
      (performance.now() - start) / 1000,
    );
  }
}
