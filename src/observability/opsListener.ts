/**
 * Starts the metrics and health listener once the socket is bound: node:http is loaded only here, so it
 * never delays the socket daprd waits for, and prom-client only when there is something to count (the first
 * metrics event) or a first scrape. A listener that cannot bind is logged and
 * keyless goes on serving daprd (the probes then fail, which says the same to the platform).
 */
import type { CredentialPool } from "../identity/credentialPool.js";
import type { OpsServer } from "./healthServer.js";
import { errorField, type Logger } from "./logger.js";
import type { MetricsHub } from "./metrics.js";
import type { OpsConfig } from "./opsConfig.js";
import type { PromMetrics } from "./promMetrics.js";
import { Readiness, type ReadinessSources } from "./readiness.js";

export interface OpsListenerOptions {
  config: OpsConfig;
  hub: MetricsHub;
  credentials: CredentialPool;
  failedInits: ReadinessSources["failedInits"];
  extra?: ReadinessSources["extra"];
  serving: () => Promise<boolean>;
  log: Logger;
}

/** The Prometheus registry, loaded once: on the hub's first event or the first scrape, whichever comes first. */
function lazyRegistry(hub: MetricsHub): () => Promise<PromMetrics> {
  let loading: Promise<PromMetrics> | undefined;
  const load = () =>
    (loading ??= import("./promMetrics.js").then(({ PromMetrics }) => {
      const prom = new PromMetrics();
      hub.attach(prom);
      return prom;
    }));
  hub.whenNeeded(() => void load());
  return load;
}

export async function startOpsListener(opts: OpsListenerOptions): Promise<OpsServer | undefined> {
  if (!opts.config.enabled) return undefined;
  const { address, port } = opts.config;
  try {
    const { startOpsServer } = await import("./healthServer.js");
    const registry = lazyRegistry(opts.hub);
    const readiness = new Readiness(
      {
        failedInits: opts.failedInits,
        credentials: opts.credentials,
        ...(opts.extra && { extra: opts.extra }),
      },
      Date.now,
      opts.config.identityCheckMs,
    );
    const server = await startOpsServer(
      {
        metrics: async () => {
          const prom = await registry();
          return { contentType: prom.registry.contentType, body: await prom.registry.metrics() };
        },
        serving: opts.serving,
        readiness: () => readiness.check(),
      },
      { address, port },
    );
    opts.log.info({ address, port: server.port }, "serving /metrics, /healthz and /readyz");
    return server;
  } catch (e) {
    opts.log.error(
      { address, port, err: errorField(e) },
      "cannot start the metrics and health listener (KEYLESS_METRICS_PORT=0 turns it off); serving daprd without it",
    );
    return undefined;
  }
}
