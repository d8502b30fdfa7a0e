/**
 * `keyless doctor` on the metrics and health listener: where keyless serves it (from this environment),
 * and whether a keyless running here answers /healthz and /readyz (with the not-ready reasons). The doctor
 * usually runs beside the keyless it checks (kubectl exec, az containerapp exec); nothing answering is a
 * warning, since keyless may simply not run here.
 */
import { readOpsConfig } from "../../observability/opsConfig.js";
import type { Check } from "../report.js";

export async function listenerCheck(env: NodeJS.ProcessEnv): Promise<Check> {
  const name = "metrics and health listener";
  let cfg;
  try {
    cfg = readOpsConfig(env);
  } catch (e) {
    return {
      name,
      status: "fail",
      detail: (e as Error).message,
      fix: "fix KEYLESS_METRICS_PORT / KEYLESS_METRICS_ADDRESS",
    };
  }
  if (!cfg.enabled) {
    return {
      name,
      status: "warn",
      detail: "off (KEYLESS_METRICS_PORT=0): no /metrics, and no /healthz or /readyz for probes",
    };
  }
  const host = cfg.address === "0.0.0.0" ? "127.0.0.1" : cfg.address === "::" ? "[::1]" : cfg.address;
  const base = `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${cfg.port}`;
  const where = `${cfg.address}:${cfg.port} (/metrics, /healthz, /readyz)`;
  try {
    const health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(3_000) });
    const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const body = (await ready.text()).trim();
    if (health.ok && ready.ok)
      return { name, status: "ok", detail: `${where}: keyless here is serving and ready` };
    return {
      name,
      status: "fail",
      detail: `${where}: ${health.ok ? "serving" : "not serving its socket"}; ${body.replace(/\n/g, " ")}`,
      fix: "see the reasons above; each names the instance or identity and the fix",
    };
  } catch {
    return {
      name,
      status: "warn",
      detail: `${where}: nothing answers at ${base} (no keyless running here?)`,
    };
  }
}
