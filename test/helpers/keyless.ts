/** Starts the built keyless server as its own process, as daprd users run it. */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { KEYLESS_MAIN, REPO_ROOT } from "./paths.js";
import { recordOutput } from "./suiteRecord.js";
import { waitFor } from "./wait.js";

export interface KeylessProcess {
  proc: ChildProcess;
  socket: string;
  /** Every line keyless wrote (stdout and stderr), for assertions and the log canary. */
  lines: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface KeylessOptions {
  socketDir: string;
  dataDir: string;
  env?: Record<string, string>;
  cwd?: string;
  componentName?: string;
  /** Start keyless under this umask (octal text, e.g. "022"), as a shell would. */
  umask?: string;
  /** Node flags before the script (the benches pass the image's, e.g. --max-semi-space-size=4). */
  nodeArgs?: string[];
}

/** Every line written by every keyless process in this test file (for the secret/log canary checks). */
export const allKeylessLines: string[] = [];

export async function startKeyless(opts: KeylessOptions): Promise<KeylessProcess> {
  const name = opts.componentName ?? "keyless";
  const socket = path.join(opts.socketDir, `${name}.sock`);
  const node = [...(opts.nodeArgs ?? []), KEYLESS_MAIN, "serve"];
  const [cmd, args] = opts.umask
    ? ["/bin/sh", ["-c", `umask ${opts.umask}; exec "$0" "$@"`, process.execPath, ...node]]
    : [process.execPath, node];
  const proc = spawn(cmd, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      DAPR_COMPONENTS_SOCKETS_FOLDER: opts.socketDir,
      KEYLESS_DATA_DIR: opts.dataDir,
      KEYLESS_COMPONENT_NAME: name,
      // Many keyless processes run at once: a test that scrapes /metrics picks its own port.
      KEYLESS_METRICS_PORT: "0",
      // The stand-ins' test CA (set by vitest.config.ts); never a switch that turns TLS checks off.
      ...(process.env.NODE_EXTRA_CA_CERTS && { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }),
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  // Chunks can split a line: keep the tail until its newline arrives.
  let partial = "";
  const collect = (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    const complete = parts.filter((l) => l.trim() !== "");
    lines.push(...complete);
    allKeylessLines.push(...complete);
    recordOutput("keyless", complete);
  };
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => {
      exited = true;
      if (partial.trim() !== "") collect(Buffer.from("\n"));
      resolve(code);
    }),
  );
  await waitFor(
    `keyless to accept connections on ${socket}`,
    async () => {
      if (exited) throw new Error(`keyless exited early:\n${lines.join("\n")}`);
      return await new Promise<boolean>((resolve) => {
        const s = net.connect(socket);
        s.once("connect", () => (s.destroy(), resolve(true)));
        s.once("error", () => resolve(false));
      });
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
  return {
    proc,
    socket,
    lines,
    async stop(signal = "SIGTERM") {
      if (!exited) proc.kill(signal);
      return exit;
    },
  };
}
