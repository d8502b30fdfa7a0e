/**
 * Every environment variable keyless reads, declared once: its name, how its value is parsed and defaulted,
 * its default as the README writes it, and its line in `keyless help`. Readers call `readSetting(env, NAME)`
 * and never look at the variable themselves; USAGE's environment section is made from this list, and a unit
 * test keeps it, the variables read anywhere in src/ and the README's table in step.
 *
 * The parsers are plain checks rather than schemas: each value is one string, and each message names the
 * variable and what it accepts, as an operator reading a crash loop needs it.
 */
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { socketFolder } from "./server/socketFolder.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value that keyless cannot use; the message names the variable. */
export class ProcessSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProcessSettingError";
  }
}

export interface ProcessSetting<T> {
  readonly name: string;
  /** As the README's table shows it (a code span, or words such as "keyless's group"). */
  readonly readmeDefault: string;
  /** `keyless help` text, one or more lines. */
  readonly usage: string;
  /** The value keyless uses, its default when unset; throws ProcessSettingError when it cannot be used. */
  parse(raw: string | undefined, env: Env): T;
}

/** A declaration; its name is its key in SETTINGS. */
type Declared<T> = Omit<ProcessSetting<T>, "name">;
const setting = <T>(s: Declared<T>): Declared<T> => s;

/** How often /readyz asks an identity endpoint for a new token, in seconds. */
const DEFAULT_IDENTITY_CHECK_SECONDS = 300;

/** In the order of `keyless help` and the README's table. */
const SETTINGS = {
  DAPR_COMPONENTS_SOCKETS_FOLDER: setting({
    readmeDefault: "`/tmp/dapr-components-sockets`",
    usage:
      "socket folder shared with daprd (DAPR_COMPONENT_SOCKETS_FOLDER, the\ninjector's name, is read too; both set and different is refused)",
    // Two variables, one rule: socketFolder.ts keeps it, with the reason for each name.
    parse: (_raw, env) => socketFolder(env),
  }),
  KEYLESS_COMPONENT_NAME: setting({
    readmeDefault: "`keyless`",
    usage: "socket file name without .sock (default keyless)",
    parse: (raw) => raw || "keyless",
  }),
  KEYLESS_SOCKET_MODE: setting({
    readmeDefault: "`0666`",
    usage: "octal mode of the socket (default 0666); e.g. 0660 with KEYLESS_SOCKET_GROUP",
    parse: (raw) => socketMode(raw?.trim()),
  }),
  KEYLESS_SOCKET_GROUP: setting({
    readmeDefault: "keyless's group",
    usage: "group name or gid given to the socket (keyless's user must belong to it)",
    // A name is looked up in /etc/group where the socket is made (server/socket.ts).
    parse: (raw) => raw?.trim() || undefined,
  }),
  KEYLESS_DATA_DIR: setting({
    readmeDefault: "`~/.local/share/keyless`",
    usage: "SQLite files and saved Init metadata (default ~/.local/share/keyless)",
    parse: (raw, env) =>
      path.resolve(
        raw || path.join(env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "keyless"),
      ),
  }),
  KEYLESS_SAVE_CREDENTIALS: setting({
    readmeDefault: "`false`",
    usage:
      "true: keep instances' credential metadata (connection strings, SAS) in\n0600 files under $KEYLESS_DATA_DIR/credentials, so a keyless restart\nrestores them too (default false: such instances wait for daprd's Init)",
    parse: (raw) => /^(true|1|yes)$/i.test(raw ?? ""),
  }),
  KEYLESS_LOG_LEVEL: setting({
    readmeDefault: "`info`",
    usage: "info (default), debug, warn, error",
    parse: (raw) => raw || "info",
  }),
  KEYLESS_TRACE: setting({
    readmeDefault: "(none)",
    usage: "comma-separated areas to log at debug: rpc,instances,state,secretstores,server",
    parse: (raw): string[] =>
      (raw ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
  }),
  KEYLESS_METRICS_PORT: setting({
    readmeDefault: "`9464`",
    usage: "port of /metrics, /healthz and /readyz (default 9464; 0 turns it off)",
    parse: (raw) => {
      const value = raw?.trim() || "9464";
      const port = Number(value);
      if (!/^\d{1,5}$/.test(value) || port > 65535) {
        throw new ProcessSettingError(
          `KEYLESS_METRICS_PORT must be a port number 0-65535 (0 turns it off), got "${value}"`,
        );
      }
      return port;
    },
  }),
  KEYLESS_METRICS_ADDRESS: setting({
    readmeDefault: "`0.0.0.0`",
    usage: "address that listener binds (default 0.0.0.0)",
    // 0.0.0.0: kubelet probes and Prometheus reach a sidecar on the pod IP.
    parse: (raw) => {
      const address = raw?.trim() || "0.0.0.0";
      if (net.isIP(address) === 0 && address !== "localhost") {
        throw new ProcessSettingError(
          `KEYLESS_METRICS_ADDRESS must be an IP address or localhost, got "${address}"`,
        );
      }
      return address;
    },
  }),
  KEYLESS_READINESS_IDENTITY_CHECK_SECONDS: setting({
    readmeDefault: `\`${DEFAULT_IDENTITY_CHECK_SECONDS}\``,
    usage: `how often /readyz asks each identity for a token past every cache (default ${DEFAULT_IDENTITY_CHECK_SECONDS})`,
    // Every ask mints a token (IMDS, Entra ID), so it is minutes, not the seconds between kubelet probes.
    parse: (raw) => {
      const value = raw?.trim() || String(DEFAULT_IDENTITY_CHECK_SECONDS);
      if (!/^\d{1,6}$/.test(value) || Number(value) < 1) {
        throw new ProcessSettingError(
          `KEYLESS_READINESS_IDENTITY_CHECK_SECONDS must be a whole number of seconds, at least 1, got "${value}"`,
        );
      }
      return Number(value);
    },
  }),
};

function socketMode(raw: string | undefined): number {
  if (!raw) return 0o666;
  if (!/^0?[0-7]{3}$/.test(raw)) {
    throw new ProcessSettingError(
      `KEYLESS_SOCKET_MODE must be an octal mode such as 0660 or 0600, got ${JSON.stringify(raw.slice(0, 20))}`,
    );
  }
  const mode = parseInt(raw, 8);
  if ((mode & 0o600) !== 0o600) {
    throw new ProcessSettingError(
      `KEYLESS_SOCKET_MODE ${raw} does not let keyless's own user read and write the socket; use at least 0600`,
    );
  }
  return mode;
}

export type SettingName = keyof typeof SETTINGS;
type SettingValues = { [N in SettingName]: ReturnType<(typeof SETTINGS)[N]["parse"]> };

/** The value of one setting, parsed and defaulted as declared above. */
export function readSetting<N extends SettingName>(env: Env, name: N): SettingValues[N] {
  // Seen through this mapped type, the entry for `name` parses to the value of `name`.
  const settings: { [K in SettingName]: Declared<SettingValues[K]> } = SETTINGS;
  return settings[name].parse(env[name], env);
}

export const PROCESS_SETTINGS: readonly ProcessSetting<unknown>[] = Object.entries(SETTINGS).map(
  ([name, s]): ProcessSetting<unknown> => ({ name, ...s }),
);

/** The environment section of `keyless help`. */
export function environmentUsage(): string {
  const width = Math.max(...PROCESS_SETTINGS.map((s) => s.name.length)) + 2;
  return PROCESS_SETTINGS.map((s) =>
    s.usage
      .split("\n")
      .map((line, i) => `  ${(i === 0 ? s.name : "").padEnd(width)}${line}`)
      .join("\n"),
  ).join("\n");
}
