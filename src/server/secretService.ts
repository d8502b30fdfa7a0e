/**
 * gRPC adapter for secretstores.keyless (pluggable-components spec, section 4.9). daprd calls these
 * RPCs with no deadline, so every source enforces its own timeouts.
 */
import type { Server } from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/proto-loader";
import type { SecretStoreHandlers } from "../gen/dapr/proto/components/v1/SecretStore.js";
import type { SecretResponse } from "../gen/dapr/proto/components/v1/SecretResponse.js";
import type { InstanceRegistry } from "./instances.js";
import { lazyKind } from "../components/lazyKind.js";
import { loadRuntime } from "../runtime/loadRuntime.js";
import type { SecretStore } from "../secrets/store.js";
import { callSignal } from "./callSignal.js";
import { unary, type CallPeer, type RpcDeps } from "./unary.js";

const PKG = "dapr.proto.components.v1";
export const SECRET_SERVICES = [`${PKG}.SecretStore`];

const secretStoreKind = lazyKind<SecretStore>(
  "secretstores",
  async () => (await loadRuntime()).secretStoreKind,
);

export function registerSecretStore(
  server: Server,
  pkg: Record<string, object>,
  registry: InstanceRegistry,
  deps: RpcDeps,
) {
  const rpc = <Req, Res>(name: string, body: (req: Req, instance: string, call: CallPeer) => Promise<Res>) =>
    unary<Req, Res>(deps, { service: "SecretStore", rpc: name, kit: false }, body);
  const withStore = <R>(instance: string, call: CallPeer, fn: (s: SecretStore) => Promise<R>) =>
    registry.use(secretStoreKind, instance, fn, call);

  const handlers: SecretStoreHandlers = {
    Init: rpc("Init", async (req, instance, call) => {
      await registry.init(secretStoreKind, instance, req.metadata?.properties ?? {}, call.getPeer());
      return {};
    }),
    Features: rpc("Features", async (_req, instance, call) =>
      withStore(instance, call, async (s) => ({
        features: [...secretStoreKind.features, ...(secretStoreKind.featuresOf?.(s) ?? [])],
      })),
    ),
    Ping: rpc("Ping", async () => ({})),
    Get: rpc("Get", async (req, instance, call) =>
      withStore(instance, call, async (s) => ({
        data: await s.get(req.key, req.metadata ?? {}, callSignal(call)),
      })),
    ),
    BulkGet: rpc("BulkGet", async (req, instance, call) =>
      withStore(instance, call, async (s) => {
        const data: Record<string, SecretResponse> = {};
        for (const [name, secrets] of await s.bulkGet(req.metadata ?? {})) data[name] = { secrets };
        return { data };
      }),
    ),
  };
  server.addService(pkg[`${PKG}.SecretStore`] as ServiceDefinition, handlers);
}
