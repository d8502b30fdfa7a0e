/**
 * Where the metrics and health listener binds: KEYLESS_METRICS_PORT (default 9464, 0 turns it off) and
 * KEYLESS_METRICS_ADDRESS (default 0.0.0.0: kubelet probes and Prometheus reach a sidecar on the pod IP).
 * Read before the socket is bound, so a typo stops keyless at once with a clear message (plain checks: this
 * runs on the start-up path, which loads nothing it does not need).
 */
import net from "node:net";

export const DEFAULT_METRICS_PORT = 9464;
export const DEFAULT_METRICS_ADDRESS = "0.0.0.0";

export type OpsConfig = { enabled: false } | { enabled: true; port: number; address: string };

export function readOpsConfig(env: NodeJS.ProcessEnv): OpsConfig {
  const rawPort = env.KEYLESS_METRICS_PORT?.trim() || String(DEFAULT_METRICS_PORT);
  const port = Number(rawPort);
  if (!/^\d{1,5}$/.test(rawPort) || port > 65535) {
    throw new Error(`KEYLESS_METRICS_PORT must be a port number 0-65535 (0 turns it off), got "${rawPort}"`);
  }
  if (port === 0) return { enabled: false };
  const address = env.KEYLESS_METRICS_ADDRESS?.trim() || DEFAULT_METRICS_ADDRESS;
  if (net.isIP(address) === 0 && address !== "localhost") {
    throw new Error(`KEYLESS_METRICS_ADDRESS must be an IP address or localhost, got "${address}"`);
  }
  return { enabled: true, port, address };
}
