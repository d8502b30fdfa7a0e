#!/usr/bin/env node
/**
 * keyless: a Dapr pluggable component serving secretstores.keyless and state.keyless on one Unix socket.
 *   keyless [serve]   start the component (default)
 *   keyless help      usage
 */
import { readProcessConfig } from "./config.js";
import { CredentialPool } from "./identity/credentialPool.js";
import { createLoggerFactory } from "./observability/logger.js";
import { SavedInitStore } from "./persistence/savedInit.js";
import { InstanceRegistry } from "./server/instances.js";
import { startServer } from "./server/server.js";
import { socketPath, SocketError } from "./server/socket.js";
import path from "node:path";

const USAGE = `usage: keyless [serve|help]

  serve   serve secretstores.keyless and state.keyless on
          $DAPR_COMPONENTS_SOCKETS_FOLDER/keyless.sock (default /tmp/dapr-components-sockets)

environment:
  DAPR_COMPONENTS_SOCKETS_FOLDER  socket folder shared with daprd
  KEYLESS_COMPONENT_NAME          socket file name without .sock (default keyless)
  KEYLESS_DATA_DIR                SQLite files and saved Init metadata (default ~/.local/share/keyless)
  KEYLESS_LOG_LEVEL               info (default), debug, warn, error
  KEYLESS_TRACE                   comma-separated areas to log at debug: rpc,instances,state,secretstores,server
`;

async function serve(): Promise<void> {
  const cfg = readProcessConfig(process.env);
  const loggers = createLoggerFactory({ level: cfg.logLevel, trace: cfg.trace });
  const log = loggers.forArea("main");
  let socket: string;
  try {
    socket = socketPath(process.env, cfg.componentName);
  } catch (e) {
    log.fatal((e as Error).message);
    process.exitCode = 2;
    return;
  }
  const registry = new InstanceRegistry(new SavedInitStore(path.join(cfg.dataDir, "instances")), {
    dataDir: cfg.dataDir,
    baseDir: process.cwd(),
    env: process.env,
    now: Date.now,
    loggers,
    credentials: new CredentialPool(),
  });
  let running;
  try {
    running = await startServer({ socket, registry, loggers });
  } catch (e) {
    log.fatal(
      { socket },
      e instanceof SocketError ? e.message : `cannot serve on ${socket}: ${(e as Error).message}`,
    );
    process.exitCode = 2;
    return;
  }
  log.info({ dataDir: cfg.dataDir, pid: process.pid }, "ready for daprd");
  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down");
    running.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: (e as Error).message }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

const cmd = process.argv[2] ?? "serve";
if (cmd === "serve") {
  await serve();
} else if (cmd === "help" || cmd === "--help" || cmd === "-h") {
  process.stdout.write(USAGE);
} else {
  process.stderr.write(`keyless: unknown command "${cmd}"\n\n${USAGE}`);
  process.exitCode = 2;
}
