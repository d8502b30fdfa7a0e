/**
 * Where the metrics and health listener binds, and how often /readyz asks identities for a token
 * (KEYLESS_METRICS_PORT, KEYLESS_METRICS_ADDRESS, KEYLESS_READINESS_IDENTITY_CHECK_SECONDS, parsed and
 * defaulted as processSettings.ts declares). Read before the socket is bound, so a typo stops keyless at
 * once with a clear message.
 */
import { readSetting, type Env } from "../processSettings.js";

export type OpsConfig =
  { enabled: false } | { enabled: true; port: number; address: string; identityCheckMs: number };

export function readOpsConfig(env: Env): OpsConfig {
  const port = readSetting(env, "KEYLESS_METRICS_PORT");
  if (port === 0) return { enabled: false };
  return {
    enabled: true,
    port,
    address: readSetting(env, "KEYLESS_METRICS_ADDRESS"),
    identityCheckMs: readSetting(env, "KEYLESS_READINESS_IDENTITY_CHECK_SECONDS") * 1000,
  };
}

/** The interval /readyz uses when nobody set one: the declared default. */
export const defaultIdentityCheckMs = (): number =>
  readSetting({}, "KEYLESS_READINESS_IDENTITY_CHECK_SECONDS") * 1000;
