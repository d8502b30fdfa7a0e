/**
 * `keyless serve --then <command> ...`: the command (daprd) runs as keyless's child, started only after the
 * socket is bound, so daprd's one scan of the socket folder always finds it (Container Apps starts a pod's
 * containers in no guaranteed order). Its output is kept apart from keyless's JSON log: every line goes to
 * stderr labelled with the command's name. Its exit code becomes keyless's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import type { Writable } from "node:stream";

export interface SupervisedChild {
  readonly label: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code keyless should exit with: the child's code, or 128 + signal number. */
  readonly exited: Promise<number>;
  forward(signal: NodeJS.Signals): void;
}

/** The shell's convention for a process ended by a signal, so a supervisor reports it the same way. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? os.constants.signals[signal] : undefined;
  return 128 + (n ?? 0);
}

function labelLines(child: ChildProcess, label: string, out: Writable): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) out.write(`${label} | ${line}\n`);
    });
    stream?.on("end", () => {
      if (rest !== "") out.write(`${label} | ${rest}\n`);
    });
  }
}

export function startChild(
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; out: Writable },
): SupervisedChild {
  const label = path.basename(command);
  const child = spawn(command, args, { env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  labelLines(child, label, opts.out);
  const exited = new Promise<number>((resolve) => {
    // A command that cannot start (missing, not executable) fails like a shell would: 127 / 126.
    child.once("error", (e: NodeJS.ErrnoException) => {
      opts.out.write(`${label} | cannot start ${command}: ${e.message}\n`);
      resolve(e.code === "ENOENT" ? 127 : 126);
    });
    child.once("close", (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  return {
    label,
    pid: child.pid,
    exited,
    forward(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
