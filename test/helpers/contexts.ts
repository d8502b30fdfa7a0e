/** Contexts for building components and registries in tests: a folder, silent logs, fresh credentials. */
import path from "node:path";
import { pino } from "pino";
import type { BuildContext, KindContext } from "../../src/components/kind.js";
import { CredentialPool } from "../../src/identity/credentialPool.js";
import type { LoggerFactory } from "../../src/observability/logger.js";
import { SavedInitStore } from "../../src/persistence/savedInit.js";
import { InstanceRegistry } from "../../src/server/instances.js";

const silent = pino({ level: "silent" });
export const silentLoggers: LoggerFactory = { root: silent, forArea: () => silent };

export function testBuildContext(dir: string, over: Partial<BuildContext> = {}): BuildContext {
  return {
    instance: "test",
    dataDir: dir,
    baseDir: dir,
    env: {},
    now: Date.now,
    log: silent,
    credentials: new CredentialPool(),
    ...over,
  };
}

export function testKindContext(dir: string, over: Partial<KindContext> = {}): KindContext {
  return {
    dataDir: dir,
    baseDir: dir,
    env: {},
    now: Date.now,
    loggers: silentLoggers,
    credentials: new CredentialPool(),
    ...over,
  };
}

/** A registry that saves Init metadata under `<dir>/<instancesDir>`. */
export function testRegistry(
  dir: string,
  over: Partial<KindContext> = {},
  instancesDir = "instances",
): InstanceRegistry {
  return new InstanceRegistry(new SavedInitStore(path.join(dir, instancesDir)), testKindContext(dir, over));
}
