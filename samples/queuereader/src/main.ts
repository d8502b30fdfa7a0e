/**
 * queuereader: reads a Storage Queue and records each message in state.keyless through Dapr.
 * The queue connection comes either from the app's managed identity or from secretstores.keyless.
 */
import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";
import { readConfig } from "./config.js";
import { Ledger } from "./ledger.js";
import { openQueue } from "./queue.js";
import { createApp } from "./server.js";
import { startWorker } from "./worker.js";

const log = (m: string) => process.stdout.write(`[queuereader] ${m}\n`);

async function main() {
  const cfg = readConfig(process.env);
  const dapr = new DaprClient({
    daprHost: cfg.daprHost,
    daprPort: cfg.daprGrpcPort,
    communicationProtocol: CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Warn },
  });
  const queue = await openQueue(cfg, dapr);
  log(
    `reading queue ${cfg.queueName} (${cfg.queueAuth === "identity" ? "managed identity" : `connection string from ${cfg.secretStore}`}), state in ${cfg.stateStore}`,
  );
  const ledger = new Ledger(dapr, cfg.stateStore);
  const worker = startWorker(cfg, queue, ledger, log);
  const server = createApp(queue, ledger, worker).listen(cfg.appPort, () =>
    log(`listening on :${cfg.appPort}`),
  );

  const shutdown = async (signal: string) => {
    log(`${signal}: finishing the current message, then stopping`);
    server.close();
    await worker.stop();
    await dapr.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((e: unknown) => {
  log(`failed to start: ${(e as Error).message}`);
  process.exit(1);
});
