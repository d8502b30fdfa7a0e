/**
 * A Go service of Dapr's (daprd, placement, scheduler) started for a test: its output collected and recorded
 * for the suite scan, started once a health probe answers, stopped with SIGTERM (SIGKILL after 10 s).
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { recordOutput } from "./suiteRecord.js";
import { waitFor } from "./wait.js";

export interface RecordedProcess {
  proc: ChildProcess;
  lines: string[];
  stop(): Promise<void>;
}

export interface RecordedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: SpawnOptions["env"];
  /** Answers true once the service is ready. */
  healthy: () => Promise<boolean>;
  timeoutMs: number;
}

export async function startRecordedProcess(o: RecordedProcessOptions): Promise<RecordedProcess> {
  const proc = spawn(o.command, o.args, { ...(o.env && { env: o.env }), stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const collect = (c: Buffer) => {
    const got = c.toString("utf8").split("\n").filter(Boolean);
    lines.push(...got);
    recordOutput("daprd", got);
  };
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  await waitFor(
    `${o.name} to report healthy`,
    async () => {
      if (exited) throw new Error(`${o.name} exited during start-up:\n${lines.slice(-30).join("\n")}`);
      return (await o.healthy().catch(() => false)) ? true : undefined;
    },
    { timeoutMs: o.timeoutMs, intervalMs: 100 },
  );
  return {
    proc,
    lines,
    async stop() {
      if (!exited) proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
