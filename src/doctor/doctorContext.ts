/**
 * What every doctor check is given: the environment and working directory of the keyless being checked,
 * one credential per identity, and the calls that leave the process (building a source, opening a table,
 * peeking at a queue), so the checks can be tried on fakes.
 */
import path from "node:path";
import { pino } from "pino";
import type { BuildContext } from "../components/kind.js";
import type { CachedCredential } from "../identity/cachedCredential.js";
import { CredentialPool } from "../identity/credentialPool.js";
import type { SecretMetadata, SourceKind } from "../metadata/secretMetadata.js";
import { buildSource } from "../secrets/component.js";
import type { SecretSource } from "../secrets/source.js";
import type { Backend } from "../state/backend.js";
import { openTablesBackend, type TablesBackendOptions } from "../state/backends/tables/index.js";
import type { Check } from "./report.js";
import { rotationQueueCheck } from "./checks/rotationQueue.js";

export interface DoctorContext {
  readonly env: NodeJS.ProcessEnv;
  /** keyless's working directory: relative paths in metadata resolve against it. */
  readonly baseDir: string;
  readonly credentials: CredentialPool;
  /** The context serve gives an instance of this name. */
  buildContext(instance: string): BuildContext;
  /** One source of a secret store's chain, built exactly as serve builds it. */
  buildSource(kind: SourceKind, md: SecretMetadata, ctx: BuildContext): Promise<SecretSource>;
  /** Opens the table as serve does; the doctor only needs to close it again. */
  openTables(opts: TablesBackendOptions): Promise<Pick<Backend, "close">>;
  rotationQueue(instance: string, queueUrl: string, credential: CachedCredential): Promise<Check>;
}

export function createDoctorContext(opts: {
  env: NodeJS.ProcessEnv;
  baseDir: string;
  credentials?: CredentialPool;
}): DoctorContext {
  const credentials = opts.credentials ?? new CredentialPool();
  // The report is the doctor's output; what the sources would log at serve time adds nothing to it.
  const log = pino({ level: "silent" });
  return {
    env: opts.env,
    baseDir: opts.baseDir,
    credentials,
    buildContext: (instance) => ({
      instance,
      dataDir: path.join(opts.baseDir, ".data"),
      baseDir: opts.baseDir,
      env: opts.env,
      now: Date.now,
      log,
      credentials,
    }),
    buildSource,
    openTables: openTablesBackend,
    rotationQueue: rotationQueueCheck,
  };
}
