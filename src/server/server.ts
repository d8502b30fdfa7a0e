/**
 * Assembles the gRPC server: both component services, reflection listing exactly the served services
 * (daprd discovers with reflection v1alpha; v1 is served too), bound to the Unix socket.
 */
import { Server } from "@grpc/grpc-js";
import type { InstanceRegistry } from "./instances.js";
import { errorField, type LoggerFactory } from "../observability/logger.js";
import { addLazyReflection } from "./lazyReflection.js";
import type { Metrics } from "../observability/metrics.js";
import { listenLabelled } from "./listener.js";
import { loadServiceDefinitions, loadStatusRoot } from "./protos.js";
import { loadRuntime } from "../runtime/loadRuntime.js";
import { registerSecretStore, SECRET_SERVICES } from "./secretService.js";
import {
  applySocketAccess,
  DEFAULT_SOCKET_MODE,
  prepareSocket,
  removeSocket,
  type SocketAccess,
} from "./socket.js";
import { registerStateStore, STATE_SERVICES } from "./stateService.js";
import { createStatusEncoder } from "./toStatus.js";

export interface RunningServer {
  socket: string;
  /** Stops accepting calls, lets in-flight calls finish (up to `graceMs`), closes instances, removes the socket. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  socket: string;
  registry: InstanceRegistry;
  loggers: LoggerFactory;
  /** Mode and group of the socket file (default 0666, keyless's group). */
  access?: SocketAccess;
  metrics?: Metrics;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const log = opts.loggers.forArea("server");
  const pkg = loadServiceDefinitions();
  const server = new Server();
  const deps = {
    encoder: createStatusEncoder(loadStatusRoot()),
    log: opts.loggers.forArea("rpc"),
    ...(opts.metrics && { metrics: opts.metrics }),
  };
  registerSecretStore(server, pkg, opts.registry, deps);
  registerStateStore(server, pkg, opts.registry, deps);
  const served = [...SECRET_SERVICES, ...STATE_SERVICES];
  const codecs = async () => {
    const runtime = await loadRuntime();
    return runtime.reflectionCodecs(runtime.loadComponentDefinition(), served);
  };
  addLazyReflection(server, codecs, (e) =>
    log.error(
      { err: errorField(e) },
      "server reflection could not be built; daprd cannot discover the services",
    ),
  );

  const { removedStale } = await prepareSocket(opts.socket);
  if (removedStale) log.warn({ socket: opts.socket }, "removed a stale socket file left by a previous run");
  const access = opts.access ?? { mode: DEFAULT_SOCKET_MODE };
  let tablesReported = false;
  const listener = await listenLabelled(
    server,
    opts.socket,
    {
      closed: (peer) => opts.registry.connectionClosed(peer),
      streamTables: (result) => {
        if (result.applied || tablesReported) return;
        tablesReported = true;
        log.info(
          { node: process.version, reason: result.reason },
          "http2 stream records left as Node keeps them; requests may cost more garbage collection",
        );
      },
    },
    access.mode,
  );
  try {
    await applySocketAccess(opts.socket, access);
  } catch (e) {
    server.forceShutdown();
    await listener.close();
    await removeSocket(opts.socket);
    throw e;
  }
  log.info(
    {
      socket: opts.socket,
      mode: access.mode.toString(8),
      gid: access.gid,
      services: served,
    },
    "keyless is serving",
  );

  let stopping: Promise<void> | undefined;
  return {
    socket: opts.socket,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        const closing = listener.close();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            log.warn({ graceMs }, "in-flight calls did not finish in time; closing connections");
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await closing;
        await opts.registry.closeAll();
        await removeSocket(opts.socket);
        log.info({ socket: opts.socket }, "keyless stopped");
      })();
      return stopping;
    },
  };
}
