/**
 * Every environment variable keyless reads, declared once: its name, its default as the README writes it,
 * and its line in `keyless help`. USAGE's environment section is made from this list, and a unit test
 * keeps it, the variables read anywhere in src/ and the README's table in step.
 */
export interface ProcessSetting {
  name: string;
  /** As the README's table shows it (a code span, or words such as "keyless's group"). */
  readmeDefault: string;
  /** `keyless help` text, one or more lines. */
  usage: string;
}

export const PROCESS_SETTINGS: readonly ProcessSetting[] = [
  {
    name: "DAPR_COMPONENTS_SOCKETS_FOLDER",
    readmeDefault: "`/tmp/dapr-components-sockets`",
    usage:
      "socket folder shared with daprd (DAPR_COMPONENT_SOCKETS_FOLDER, the\ninjector's name, is read too; both set and different is refused)",
  },
  {
    name: "KEYLESS_COMPONENT_NAME",
    readmeDefault: "`keyless`",
    usage: "socket file name without .sock (default keyless)",
  },
  {
    name: "KEYLESS_SOCKET_MODE",
    readmeDefault: "`0666`",
    usage: "octal mode of the socket (default 0666); e.g. 0660 with KEYLESS_SOCKET_GROUP",
  },
  {
    name: "KEYLESS_SOCKET_GROUP",
    readmeDefault: "keyless's group",
    usage: "group name or gid given to the socket (keyless's user must belong to it)",
  },
  {
    name: "KEYLESS_DATA_DIR",
    readmeDefault: "`~/.local/share/keyless`",
    usage: "SQLite files and saved Init metadata (default ~/.local/share/keyless)",
  },
  {
    name: "KEYLESS_SAVE_CREDENTIALS",
    readmeDefault: "`false`",
    usage:
      "true: keep instances' credential metadata (connection strings, SAS) in\n0600 files under $KEYLESS_DATA_DIR/credentials, so a keyless restart\nrestores them too (default false: such instances wait for daprd's Init)",
  },
  { name: "KEYLESS_LOG_LEVEL", readmeDefault: "`info`", usage: "info (default), debug, warn, error" },
  {
    name: "KEYLESS_TRACE",
    readmeDefault: "(none)",
    usage: "comma-separated areas to log at debug: rpc,instances,state,secretstores,server",
  },
  {
    name: "KEYLESS_METRICS_PORT",
    readmeDefault: "`9464`",
    usage: "port of /metrics, /healthz and /readyz (default 9464; 0 turns it off)",
  },
  {
    name: "KEYLESS_METRICS_ADDRESS",
    readmeDefault: "`0.0.0.0`",
    usage: "address that listener binds (default 0.0.0.0)",
  },
  {
    name: "KEYLESS_READINESS_IDENTITY_CHECK_SECONDS",
    readmeDefault: "`300`",
    usage: "how often /readyz asks each identity for a token past every cache (default 300)",
  },
];

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
