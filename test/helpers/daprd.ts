/**
 * Starts a real daprd against a socket folder and a resources folder; without placement and scheduler
 * unless a test names them (actors and workflows).
 */
import type { ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { daprdPath, REPO_ROOT } from "./paths.js";
import { freePort } from "./ports.js";
import { startRecordedProcess } from "./recordedProcess.js";

export interface Daprd {
  proc: ChildProcess;
  http: string;
  httpPort: number;
  grpcPort: number;
  lines: string[];
  stop(): Promise<void>;
}

export interface DaprdOptions {
  socketDir: string;
  resourcesDir: string;
  appId?: string;
  env?: Record<string, string>;
  /** `host:port` of Dapr's placement and scheduler services; both off when not given. */
  placement?: string;
  scheduler?: string;
  /** Fixed ports, so an app can reconnect to a daprd restarted in its place. */
  ports?: { http: number; grpc: number };
  /** Runs daprd through another command, e.g. to give it a private /etc/hosts (benchmarks). */
  wrap?: (cmd: string, args: string[]) => [string, string[]];
}

/** Copies YAMLs from the repo's components/ folder (and extra inline YAMLs) into a fresh resources folder. */
export function writeResources(
  dir: string,
  fromComponents: string[],
  extra: Record<string, string> = {},
): string {
  mkdirSync(dir, { recursive: true });
  const available = readdirSync(path.join(REPO_ROOT, "components"));
  for (const f of fromComponents) {
    if (!available.includes(f)) throw new Error(`components/${f} does not exist`);
    copyFileSync(path.join(REPO_ROOT, "components", f), path.join(dir, f));
  }
  for (const [name, yaml] of Object.entries(extra)) writeFileSync(path.join(dir, name), yaml);
  return dir;
}

export async function startDaprd(opts: DaprdOptions): Promise<Daprd> {
  // Four distinct ports, none of them a fixed one: a port freed by one probe can be handed out again.
  const taken = new Set<number>([opts.ports?.http ?? 0, opts.ports?.grpc ?? 0]);
  const distinct = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) return (taken.add(p), p);
    }
  };
  const httpPort = opts.ports?.http ?? (await distinct());
  const grpcPort = opts.ports?.grpc ?? (await distinct());
  const metricsPort = await distinct();
  const internalPort = await distinct();
  const args = [
    "--app-id",
    opts.appId ?? "e2e",
    "--resources-path",
    opts.resourcesDir,
    "--dapr-http-port",
    String(httpPort),
    "--dapr-grpc-port",
    String(grpcPort),
    "--metrics-port",
    String(metricsPort),
    "--dapr-internal-grpc-port",
    String(internalPort),
    "--dapr-listen-addresses",
    "127.0.0.1",
    "--log-level",
    "info",
    ...(opts.placement ? ["--placement-host-address", opts.placement] : []),
    ...(opts.scheduler ? ["--scheduler-host-address", opts.scheduler] : []),
  ];
  const [cmd, argv] = opts.wrap ? opts.wrap(daprdPath(), args) : [daprdPath(), args];
  const http = `http://127.0.0.1:${httpPort}`;
  const started = await startRecordedProcess({
    name: "daprd",
    command: cmd,
    args: argv,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      DAPR_COMPONENTS_SOCKETS_FOLDER: opts.socketDir,
      ...opts.env,
    },
    healthy: async () => (await fetch(`${http}/v1.0/healthz/outbound`)).status === 204,
    timeoutMs: 30_000,
  });
  return { ...started, http, httpPort, grpcPort };
}
