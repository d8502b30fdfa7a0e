/**
 * Dapr's placement and scheduler services (daprd's version in versions.env, built by
 * scripts/install-daprd.sh --control-plane), which daprd needs before it runs actors and workflows. Each
 * runs on free ports with its data in a test folder.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./paths.js";
import { freePort } from "./ports.js";
import { startRecordedProcess } from "./recordedProcess.js";

export interface ControlPlaneService {
  /** `host:port` for daprd's --placement-host-address or --scheduler-host-address. */
  address: string;
  lines: string[];
  stop(): Promise<void>;
}

/** The folder holding `placement` and `scheduler`, built once per version and cached outside the repo. */
export function controlPlaneDir(): string {
  const fromEnv = process.env.KEYLESS_DAPR_CONTROL_PLANE;
  if (fromEnv && existsSync(path.join(fromEnv, "scheduler"))) return fromEnv;
  return execFileSync("bash", [path.join(REPO_ROOT, "scripts/install-daprd.sh"), "--control-plane"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

function startService(name: string, binary: string, args: string[], healthzPort: number) {
  return startRecordedProcess({
    name,
    command: binary,
    args,
    healthy: async () => (await fetch(`http://127.0.0.1:${healthzPort}/healthz`)).ok,
    timeoutMs: 60_000,
  });
}

export async function startPlacement(dir: string): Promise<ControlPlaneService> {
  const [port, healthz, raft] = await Promise.all([freePort(), freePort(), freePort()]);
  const args = [
    ...["--port", String(port), "--listen-address", "127.0.0.1"],
    ...["--healthz-port", String(healthz), "--healthz-listen-address", "127.0.0.1"],
    ...["--initial-cluster", `dapr-placement-0=127.0.0.1:${raft}`, "--enable-metrics=false"],
  ];
  const s = await startService("placement", path.join(dir, "placement"), args, healthz);
  return { address: `127.0.0.1:${port}`, ...s };
}

export async function startScheduler(dir: string, dataDir: string): Promise<ControlPlaneService> {
  const [port, healthz, client, peer] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const args = [
    ...["--port", String(port), "--listen-address", "127.0.0.1"],
    ...["--healthz-port", String(healthz), "--healthz-listen-address", "127.0.0.1"],
    ...["--etcd-data-dir", dataDir, "--etcd-client-port", String(client)],
    ...["--etcd-client-listen-address", "127.0.0.1"],
    ...[
      "--etcd-initial-cluster",
      `dapr-scheduler-server-0=http://127.0.0.1:${peer}`,
      "--enable-metrics=false",
    ],
  ];
  const s = await startService("scheduler", path.join(dir, "scheduler"), args, healthz);
  return { address: `127.0.0.1:${port}`, ...s };
}
