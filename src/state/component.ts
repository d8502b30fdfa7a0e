/** The `state.keyless` component kind: metadata -> StateStore on the configured backend. */
import path from "node:path";
import { errors } from "../errors/catalog.js";
import type { ComponentKind } from "../components/kind.js";
import { parseStateMetadata, STATE_SECRET_KEYS } from "../metadata/stateMetadata.js";
import { openSqliteBackend } from "./backends/sqlite.js";
import { StateStore } from "./store.js";
import { fileSafeName } from "../persistence/fileSafeName.js";

export const STATE_FEATURES = ["ETAG", "TRANSACTIONAL", "TTL"] as const;

export const stateKind: ComponentKind<StateStore> = {
  category: "state",
  features: STATE_FEATURES,
  secretKeys: STATE_SECRET_KEYS,
  async build(props, ctx) {
    const parsed = parseStateMetadata(props);
    if (!parsed.value || parsed.problems.length > 0) {
      throw errors.metadataInvalid("state.keyless", ctx.instance, parsed.problems);
    }
    const md = parsed.value;
    for (const k of parsed.unknownKeys) ctx.log.warn({ key: k }, "ignoring unknown metadata key");
    const given = md.path ?? (md.connectionString && sqliteFileFromConnectionString(md.connectionString));
    const file = given
      ? path.resolve(ctx.baseDir, given)
      : path.join(ctx.dataDir, "state", `${fileSafeName(ctx.instance)}.db`);
    const backend = openSqliteBackend({
      instance: ctx.instance,
      file,
      table: md.tableName,
      synchronous: md.synchronous,
      busyTimeoutMs: md.busyTimeout,
      cleanupIntervalMs: md.ttlCleanupInterval,
      now: ctx.now,
      log: ctx.log,
    });
    // The file name may have come from a secret; log it only when it came from plain metadata.
    ctx.log.info(
      {
        backend: "sqlite",
        file: md.connectionString ? "[from connectionString]" : file,
        table: md.tableName,
      },
      "state store ready",
    );
    return new StateStore(ctx.instance, backend, ctx.now);
  },
  close: (store) => store.close(),
};

/** "file:/data/app.db?cache=shared" -> "/data/app.db"; a plain path is returned as is. */
export function sqliteFileFromConnectionString(cs: string): string {
  const noScheme = cs.startsWith("file:") ? cs.slice(5) : cs;
  return noScheme.split("?")[0]!;
}
