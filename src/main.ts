#!/usr/bin/env node
/**
 * keyless: a Dapr pluggable component serving secretstores.keyless and state.keyless on one Unix socket.
 *   keyless [serve]   start the component (default)
 *   keyless help      usage
 */
import { parseCommandLine } from "./commandLine.js";
import { readProcessConfig } from "./config.js";
import { environmentUsage } from "./processSettings.js";
import { CredentialPool } from "./identity/credentialPool.js";
import { createLoggerFactory, errorField } from "./observability/logger.js";
import { HealthBoard } from "./observability/healthBoard.js";
import { routeProcessEvents } from "./observability/processEvents.js";
import { MetricsHub } from "./observability/metrics.js";
import { readOpsConfig, type OpsConfig } from "./observability/opsConfig.js";
import { startOpsListener } from "./observability/opsListener.js";
import { stat } from "node:fs/promises";
import { preparePrivateDataDir } from "./persistence/privateFs.js";
import { SavedInitStore } from "./persistence/savedInit.js";
import { InstanceRegistry } from "./server/instances.js";
import { startServer } from "./server/server.js";
import { readSocketAccess, socketPath, SocketError, type SocketAccess } from "./server/socket.js";
import { startChild, type SupervisedChild } from "./supervisor/child.js";
import path from "node:path";

const USAGE = `usage: keyless [serve|doctor|dev|help]

  serve [--then <command> [args...]]
          serve secretstores.keyless and state.keyless on
          $DAPR_COMPONENTS_SOCKETS_FOLDER/keyless.sock (default /tmp/dapr-components-sockets).
          --then: once the socket is bound, run <command> (daprd) as a supervised child with
          DAPR_COMPONENTS_SOCKETS_FOLDER set to keyless's folder: SIGTERM/SIGINT are forwarded to it,
          its output goes to stderr labelled "<command> | ", and keyless exits with its exit code
          (128+signal when killed), stopping when it stops.
  doctor [--components <dir|file>]... [--json]
          check every keyless component in the YAMLs (Dapr or Container Apps schema): the identity each
          uses, whether it gets a token, whether its vault or table is reachable and usable, and whether
          every secretKeyRef into a keyless secret store resolves; prints the fix for each failure.
          Exits 1 when a check fails or when no keyless component was found. Default --components: ./components
  dev     the local loop from a built checkout: stand-ins, Azurite, keyless, daprd and the sample
          (what scripts/run.sh runs after installing and building)

environment:
${environmentUsage()}
`;

async function serve(then: { command: string; args: string[] } | undefined): Promise<void> {
  const cfg = readProcessConfig(process.env);
  const loggers = createLoggerFactory({ level: cfg.logLevel, trace: cfg.trace });
  const log = loggers.forArea("main");
  routeProcessEvents(log);
  let socket: string;
  let access: SocketAccess;
  let ops: OpsConfig;
  try {
    socket = socketPath(process.env, cfg.componentName);
    access = readSocketAccess(process.env);
    ops = readOpsConfig(process.env);
  } catch (e) {
    log.fatal((e as Error).message);
    process.exitCode = 2;
    return;
  }
  preparePrivateDataDir(cfg.dataDir, log);
  const metrics = new MetricsHub({ disabled: !ops.enabled });
  const health = new HealthBoard();
  const credentials = new CredentialPool(undefined, undefined, metrics);
  const registry = new InstanceRegistry(
    new SavedInitStore(
      path.join(cfg.dataDir, "instances"),
      cfg.saveCredentials ? path.join(cfg.dataDir, "credentials") : undefined,
    ),
    {
      dataDir: cfg.dataDir,
      baseDir: process.cwd(),
      env: process.env,
      now: Date.now,
      loggers,
      credentials,
      metrics,
      health,
    },
  );
  let running;
  try {
    running = await startServer({ socket, registry, loggers, access, metrics });
  } catch (e) {
    log.fatal(
      { socket },
      e instanceof SocketError ? e.message : `cannot serve on ${socket}: ${(e as Error).message}`,
    );
    process.exitCode = 2;
    return;
  }
  log.info({ dataDir: cfg.dataDir, pid: process.pid }, "ready for daprd");
  const serving = () =>
    stat(socket).then(
      (s) => s.isSocket(),
      () => false,
    );
  void startOpsListener({
    config: ops,
    hub: metrics,
    credentials,
    failedInits: () => registry.failedInits(),
    extra: () => health.reasons(),
    serving,
    log,
  });
  const finish = (code: number) =>
    running.stop().then(
      () => process.exit(code),
      (e: unknown) => {
        log.error({ err: errorField(e) }, "shutdown failed");
        process.exit(1);
      },
    );
  let child: SupervisedChild | undefined;
  let stopping = false;
  if (then) {
    child = startChild(then.command, then.args, {
      env: { ...process.env, DAPR_COMPONENTS_SOCKETS_FOLDER: path.dirname(socket) },
      out: process.stderr,
    });
    log.info(
      { command: then.command, pid: child.pid },
      `started ${child.label} now that the socket is bound`,
    );
    const label = child.label;
    void child.exited.then((code) => {
      if (stopping) log.info({ code }, `${label} stopped`);
      else
        log.error({ code }, `${label} exited with ${code}; keyless stops too, so the platform restarts both`);
      stopping = true;
      void finish(code);
    });
  }
  const shutdown = (signal: NodeJS.Signals) => {
    log.info({ signal }, child ? `shutting down: ${child.label} first` : "shutting down");
    if (stopping) return;
    stopping = true;
    // With a child, keyless serves until the child has stopped (daprd may call it while draining).
    if (child) child.forward(signal);
    else void finish(0);
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

async function doctor({ paths, json }: { paths: string[]; json: boolean }): Promise<void> {
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

async function dev(): Promise<void> {
  // The dev loop lives with the stand-ins in dev/ (its own package, absent from the production image) and
  // starts when loaded; a variable keeps the component's build from depending on it.
  const devLoop = "../dev/devLoop.js";
  await import(devLoop).catch((e: unknown) => {
    process.stderr.write(
      `keyless dev runs from a checkout (scripts/run.sh); this install has no dev loop: ${(e as Error).message}\n`,
    );
    process.exitCode = 2;
  });
}

const parsed = parseCommandLine(process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`${parsed.message}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  const command = parsed.command;
  switch (command.name) {
    case "serve":
      await serve(command.then);
      break;
    case "doctor":
      await doctor(command);
      break;
    case "dev":
      await dev();
      break;
    case "help":
      process.stdout.write(USAGE);
      break;
  }
}
