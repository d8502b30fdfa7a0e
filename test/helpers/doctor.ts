/**
 * `keyless doctor` as the e2e tests run it: the built CLI in a child process with only PATH, the test CA and
 * the variables a test gives, and every output recorded for the whole-suite canary scan (suiteRecord.ts),
 * so no test can read the doctor's output without the scan reading it too.
 *
 * Asynchronous on purpose: the stand-ins the doctor talks to often live in the test's own process, which a
 * spawnSync would freeze.
 */
import { spawn } from "node:child_process";
import { KEYLESS_MAIN } from "./paths.js";
import { recordOutput } from "./suiteRecord.js";

export interface DoctorRun {
  /** Exit code; null when the doctor was killed (it ran past `timeoutMs`). */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface DoctorOptions {
  /** Added to PATH and NODE_EXTRA_CA_CERTS; nothing else of the test's environment is passed. */
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

export function runDoctor(args: readonly string[], opts: DoctorOptions = {}): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [KEYLESS_MAIN, "doctor", ...args], {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      env: {
        PATH: process.env.PATH ?? "",
        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "",
        ...opts.env,
      },
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    p.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    p.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.once("close", (status) => {
      clearTimeout(timer);
      recordOutput(
        "doctor",
        [stdout, stderr].filter((s) => s !== ""),
      );
      resolve({ status, stdout, stderr });
    });
  });
}
