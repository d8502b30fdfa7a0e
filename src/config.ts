/** Process settings from the environment, read once in main.ts and passed down (parsed as processSettings.ts declares). */
import { readSetting, type Env } from "./processSettings.js";

export interface ProcessConfig {
  componentName: string;
  dataDir: string;
  logLevel: string;
  trace: string[];
  /** Save credential metadata (connection strings, SAS) to <dataDir>/credentials so restarts restore it. */
  saveCredentials: boolean;
}

export function readProcessConfig(env: Env): ProcessConfig {
  return {
    componentName: readSetting(env, "KEYLESS_COMPONENT_NAME"),
    dataDir: readSetting(env, "KEYLESS_DATA_DIR"),
    logLevel: readSetting(env, "KEYLESS_LOG_LEVEL"),
    trace: readSetting(env, "KEYLESS_TRACE"),
    saveCredentials: readSetting(env, "KEYLESS_SAVE_CREDENTIALS"),
  };
}
