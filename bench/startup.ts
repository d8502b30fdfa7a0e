/**
 * Start-up and idle footprint: time from spawn to the first accepted connection on the socket, and RSS
 * once idle with no instance initialised, for the built keyless and for a bare grpc-js server on a Unix
 * socket started the same way (`node <file>`). Starts alternate between the two; medians of N starts.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { KEYLESS_MAIN } from "../test/helpers/paths.js";

export interface StartSample {
  bindMs: number;
  idleRssMiB: number;
}

export const BARE = path.join(import.meta.dirname, "bareServer.mjs");

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

function connects(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** Spawns `node args`, polls the socket every 2 ms until it accepts, then waits `idleMs` and reads RSS. */
export async function startOnce(args: string[], socket: string, env: NodeJS.ProcessEnv, idleMs: number) {
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  try {
    while (!(await connects(socket))) {
      if (proc.exitCode !== null) throw new Error(`${args.join(" ")} exited with ${proc.exitCode}`);
      if (performance.now() - t0 > 15_000) throw new Error(`${args.join(" ")}: no socket after 15 s`);
      await sleep(2);
    }
    const bindMs = performance.now() - t0;
    await sleep(idleMs);
    return { bindMs, idleRssMiB: rssMiB(proc.pid!) };
  } finally {
    proc.kill("SIGTERM");
    await exited;
  }
}

/** The environment every start-up run gets: its own socket folder and data folder, quiet logs. */
export function startupEnv(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    DAPR_COMPONENTS_SOCKETS_FOLDER: dir,
    KEYLESS_DATA_DIR: path.join(dir, "data"),
    KEYLESS_LOG_LEVEL: "warn",
  };
}

export async function measureStartup(tmp: string, runs: number, idleMs = 1000) {
  const keyless: StartSample[] = [];
  const bare: StartSample[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = path.join(tmp, `start${i}`);
    mkdirSync(dir, { recursive: true });
    const env = startupEnv(dir);
    keyless.push(await startOnce([KEYLESS_MAIN, "serve"], path.join(dir, "keyless.sock"), env, idleMs));
    bare.push(await startOnce([BARE, path.join(dir, "bare.sock")], path.join(dir, "bare.sock"), env, idleMs));
  }
  return { keyless, bare };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
