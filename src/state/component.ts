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
    const file = md.path
      ? path.resolve(ctx.baseDir, md.path)
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
    ctx.log.info({ backend: "sqlite", file, table: md.tableName }, "state store ready");
    return new StateStore(ctx.instance, backend, ctx.now);
  },
  close: (store) => store.close(),
};
