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

const USAGE = `usage: keyless [serve|doctor|dev|help]

  serve   serve secretstores.keyless and state.keyless on
          $DAPR_COMPONENTS_SOCKETS_FOLDER/keyless.sock (default /tmp/dapr-components-sockets)
  doctor [--components <dir|file>]... [--json]
          check every keyless component in the YAMLs (Dapr or Container Apps schema): the identity each
          uses, whether it gets a token, whether its vault or table is reachable and usable, and whether
          every secretKeyRef into a keyless secret store resolves; prints the fix for each failure.
          Exits 1 when a check fails. Default --components: ./components
  dev     the local loop from a built checkout: stand-ins, Azurite, keyless, daprd and the sample
          (what scripts/run.sh runs after installing and building)

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

async function doctor(args: string[]): Promise<void> {
  const paths: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") json = true;
    else if (args[i] === "--components" && args[i + 1]) paths.push(args[++i]!);
    else {
      process.stderr.write(`keyless doctor: unknown argument "${args[i]}"\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
  }
  // The doctor needs every SDK at once; `serve` must not pay for loading it.
  const { runDoctor } = await import("./doctor/doctor.js");
  const { renderText } = await import("./doctor/report.js");
  const report = await runDoctor({
    paths: paths.length > 0 ? paths : ["components"],
    baseDir: process.cwd(),
    env: process.env,
  });
  // Exit once the report is written: SDK clients may keep sockets alive that a one-shot command does not need.
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report), () =>
    process.exit(report.ok ? 0 : 1),
  );
}

const cmd = process.argv[2] ?? "serve";
if (cmd === "serve") {
  await serve();
} else if (cmd === "doctor") {
  await doctor(process.argv.slice(3));
} else if (cmd === "dev") {
  // The dev loop lives with the stand-ins in dev/ and starts when loaded.
  await import("../dev/devLoop.js");
} else if (cmd === "help" || cmd === "--help" || cmd === "-h") {
  process.stdout.write(USAGE);
} else {
  process.stderr.write(`keyless: unknown command "${cmd}"\n\n${USAGE}`);
  process.exitCode = 2;
}
