/**
 * A component kind ("state" or "secretstores") knows how to build an instance from its Init metadata.
 * The server and the instance registry work with kinds only, never with a concrete store.
 */
import { errors } from "../errors/catalog.js";
import type { CredentialPool } from "../identity/credentialPool.js";
import type { MetadataDeclaration } from "../metadata/declaration.js";
import type { Logger, LoggerFactory } from "../observability/logger.js";
import type { HealthBoard } from "../observability/healthBoard.js";
import type { Metrics } from "../observability/metrics.js";

export interface BuildContext {
  instance: string;
  /** Where keyless keeps its own files (default SQLite databases, saved Init metadata). */
  dataDir: string;
  /** Relative paths in metadata resolve against this folder (keyless's working directory). */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  now: () => number;
  log: Logger;
  /** The process-wide credentials, one per identity. */
  credentials: CredentialPool;
  /** Where the instance reports what it does (absent: nothing is counted). */
  metrics?: Metrics;
  /** Where long-running parts post not-ready reasons (/readyz). */
  health?: HealthBoard;
}

export interface ComponentKind<T> {
  /** "state" or "secretstores", as in the Dapr component type. */
  readonly category: "state" | "secretstores";
  /** Features returned to daprd after Init; read once and cached by daprd. */
  readonly features: readonly string[];
  /** Features that depend on the instance's metadata, added to `features`. */
  featuresOf?(instance: T): readonly string[];
  /** Its metadata fields: which are credentials (never saved, never logged) and which may be logged. */
  readonly metadata: MetadataDeclaration;
  build(props: Record<string, string>, ctx: BuildContext): Promise<T>;
  close(instance: T): Promise<void>;
}

export interface KindContext {
  dataDir: string;
  baseDir: string;
  env: NodeJS.ProcessEnv;
  now: () => number;
  loggers: LoggerFactory;
  credentials: CredentialPool;
  metrics?: Metrics;
  health?: HealthBoard;
}

/**
 * The metadata of an Init, or METADATA_INVALID naming every problem. Unknown keys that were allowed
 * (allowUnknownMetadata) are logged once each.
 */
export function requireValidMetadata<T>(
  componentType: string,
  parsed: { value?: T; problems: string[]; unknownKeys: string[] },
  ctx: BuildContext,
): T {
  if (!parsed.value || parsed.problems.length > 0) {
    throw errors.metadataInvalid(componentType, ctx.instance, parsed.problems);
  }
  for (const k of parsed.unknownKeys) ctx.log.warn({ key: k }, "ignoring unknown metadata key");
  return parsed.value;
}
