/**
 * Where the metrics and health listener binds: KEYLESS_METRICS_PORT (default 9464, 0 turns it off) and
 * KEYLESS_METRICS_ADDRESS (default 0.0.0.0: kubelet probes and Prometheus reach a sidecar on the pod IP),
 * and KEYLESS_READINESS_IDENTITY_CHECK_SECONDS (default 300).
 * Read before the socket is bound, so a typo stops keyless at once with a clear message (plain checks: this
 * runs on the start-up path, which loads nothing it does not need).
 */
import net from "node:net";

export const DEFAULT_METRICS_PORT = 9464;
export const DEFAULT_METRICS_ADDRESS = "0.0.0.0";

/**
 * How often /readyz asks an identity endpoint for a new token. Every ask mints a token (IMDS, Entra ID),
 * so it is minutes, not the seconds between kubelet probes; in between, probes answer the last result.
 */
export const DEFAULT_IDENTITY_CHECK_SECONDS = 300;

export type OpsConfig =
  { enabled: false } | { enabled: true; port: number; address: string; identityCheckMs: number };

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
  const rawCheck =
    env.KEYLESS_READINESS_IDENTITY_CHECK_SECONDS?.trim() || String(DEFAULT_IDENTITY_CHECK_SECONDS);
  if (!/^\d{1,6}$/.test(rawCheck) || Number(rawCheck) < 1) {
    throw new Error(
      `KEYLESS_READINESS_IDENTITY_CHECK_SECONDS must be a whole number of seconds, at least 1, got "${rawCheck}"`,
    );
  }
  return { enabled: true, port, address, identityCheckMs: Number(rawCheck) * 1000 };
}
