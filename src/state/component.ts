/** The `state.keyless` component kind: metadata -> StateStore on the configured backend. */
import path from "node:path";
import { stateErrors } from "../errors/state.js";
import { isKeylessError } from "../errors/keylessError.js";
import { requireValidMetadata, type BuildContext, type ComponentKind } from "../components/kind.js";
import { parseStateMetadata, stateMetadata, type StateMetadata } from "../metadata/stateMetadata.js";
import { fileSafeName } from "../persistence/fileSafeName.js";
import type { Backend } from "./backend.js";
// The backends load on first use: an instance on SQLite never loads the Azure Tables SDK, and the reverse.
import { StateStore } from "./store.js";
import { STORAGE_SCOPE } from "../identity/tokenScopes.js";

export const STATE_FEATURES = ["ETAG", "TRANSACTIONAL", "TTL"] as const;

export const stateKind: ComponentKind<StateStore> = {
  category: "state",
  features: STATE_FEATURES,
  metadata: stateMetadata,
  async build(props, ctx) {
    const md = requireValidMetadata("state.keyless", parseStateMetadata(props), ctx);
    const backend = md.backend === "tables" ? await tables(md, ctx) : await sqlite(md, ctx);
    return new StateStore(ctx.instance, backend, ctx.now);
  },
  close: (store) => store.close(),
};

async function sqlite(md: StateMetadata, ctx: BuildContext): Promise<Backend> {
  const { openSqliteBackend } = await import("./backends/sqlite.js");
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
    { backend: "sqlite", file: md.connectionString ? "[from connectionString]" : file, table: md.tableName },
    "state store ready",
  );
  return backend;
}

async function tables(md: StateMetadata, ctx: BuildContext): Promise<Backend> {
  const { openTablesBackend, planConnection, tablesAuthFor } = await import("./backends/tables/index.js");
  const { auth } = tablesAuthFor(md, ctx.credentials);
  if (auth.kind === "token") {
    // Refuse a transport that would expose the token before asking for one.
    planConnection(ctx.instance, md.tableName, auth);
    // Fail Init early and clearly when the identity cannot get a Storage token at all.
    await auth.credential.getToken(STORAGE_SCOPE).catch((e: unknown) => {
      throw stateErrors.backendFailed({
        instance: ctx.instance,
        backend: "tables",
        op: `getting a token: ${isKeylessError(e) ? e.message : "unexpected error"}`,
        cause: e,
      });
    });
  }
  const backend = await openTablesBackend({
    instance: ctx.instance,
    auth,
    table: md.tableName,
    skipCreateTable: md.skipCreateTable,
    cleanupIntervalMs: md.ttlCleanupInterval,
    timeoutMs: md.requestTimeout,
    now: ctx.now,
    log: ctx.log,
  });
  ctx.log.info(
    {
      backend: "tables",
      table: md.tableName,
      endpoint: md.tableEndpoint ?? "[from connectionString]",
      auth: auth.kind,
    },
    "state store ready",
  );
  return backend;
}

/** "file:/data/app.db?cache=shared" -> "/data/app.db"; a plain path is returned as is. */
export function sqliteFileFromConnectionString(cs: string): string {
  const noScheme = cs.startsWith("file:") ? cs.slice(5) : cs;
  return noScheme.split("?")[0]!;
}
