/** Settings of the queuereader sample, from its environment (set by `dapr run`, the dev loop or a manifest). */
export interface QueueReaderConfig {
  appPort: number;
  daprHost: string;
  daprGrpcPort: string;
  queueName: string;
  /** "identity": the app's managed identity reads the queue; "secret": a connection string from the Dapr secrets API. */
  queueAuth: "identity" | "secret";
  /** Queue service URL, e.g. https://<account>.queue.core.windows.net (identity mode). */
  queueEndpoint?: string;
  azureClientId?: string;
  secretStore: string;
  secretName: string;
  stateStore: string;
  visibilityTimeoutSeconds: number;
  pollIntervalMs: number;
  /** Test seam: exit right after the state write and before deleting the message. */
  crashAfterStateWrite: boolean;
}

export function readConfig(env: NodeJS.ProcessEnv): QueueReaderConfig {
  const auth = env.QUEUE_AUTH ?? "secret";
  if (auth !== "identity" && auth !== "secret")
    throw new Error(`QUEUE_AUTH must be "identity" or "secret", got "${auth}"`);
  if (auth === "identity" && !env.QUEUE_ENDPOINT)
    throw new Error("QUEUE_ENDPOINT is required when QUEUE_AUTH=identity");
  return {
    appPort: Number(env.APP_PORT ?? 3000),
    daprHost: env.DAPR_HOST ?? "127.0.0.1",
    daprGrpcPort: env.DAPR_GRPC_PORT ?? "50001",
    queueName: env.QUEUE_NAME ?? "orders",
    queueAuth: auth,
    ...(env.QUEUE_ENDPOINT && { queueEndpoint: env.QUEUE_ENDPOINT }),
    ...(env.AZURE_CLIENT_ID && { azureClientId: env.AZURE_CLIENT_ID }),
    secretStore: env.SECRET_STORE ?? "secretstore",
    secretName: env.QUEUE_SECRET_NAME ?? "queue-connection",
    stateStore: env.STATE_STORE ?? "statestore",
    visibilityTimeoutSeconds: Number(env.VISIBILITY_TIMEOUT_SECONDS ?? 30),
    pollIntervalMs: Number(env.POLL_INTERVAL_MS ?? 500),
    crashAfterStateWrite: env.QUEUEREADER_CRASH_AFTER_STATE_WRITE === "1",
  };
}
