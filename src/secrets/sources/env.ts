/**
 * The `env` source: environment variables of the keyless process that start with `envPrefix`.
 * Secret "db-password" with prefix "APP_SECRET_" is read from APP_SECRET_db-password if set, else from
 * APP_SECRET_DB_PASSWORD (upper case, other characters as "_"), which is how shells spell it.
 * BulkGet lists only prefixed variables, with the prefix removed.
 */
import type { SecretSource } from "../source.js";

export interface EnvSourceOptions {
  prefix: string;
  env: NodeJS.ProcessEnv;
}

export function createEnvSource(opts: EnvSourceOptions): SecretSource {
  const { prefix, env } = opts;
  return {
    name: `env(${prefix}*)`,
    get: async (name) => env[prefix + name] ?? env[prefix + shellName(name)],
    list: async () => {
      const out = new Map<string, string>();
      for (const [k, v] of Object.entries(env)) {
        if (k.startsWith(prefix) && k.length > prefix.length && v !== undefined)
          out.set(k.slice(prefix.length), v);
      }
      return out;
    },
  };
}

function shellName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}
