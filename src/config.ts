/** Process settings from the environment, read once in main.ts and passed down. */
import os from "node:os";
import path from "node:path";

export interface ProcessConfig {
  componentName: string;
  dataDir: string;
  logLevel: string;
  trace: string[];
  /** Save credential metadata (connection strings, SAS) to <dataDir>/credentials so restarts restore it. */
  saveCredentials: boolean;
}

export function readProcessConfig(env: NodeJS.ProcessEnv): ProcessConfig {
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return {
    componentName: env.KEYLESS_COMPONENT_NAME || "keyless",
    dataDir: path.resolve(env.KEYLESS_DATA_DIR || path.join(dataHome, "keyless")),
    logLevel: env.KEYLESS_LOG_LEVEL || "info",
    trace: (env.KEYLESS_TRACE ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    saveCredentials: /^(true|1|yes)$/i.test(env.KEYLESS_SAVE_CREDENTIALS ?? ""),
  };
}
