/**
 * The one place that creates the SQLite database folder and file and opens them (WAL; `synchronous:
 * full` also survives power loss). Kept on its own so file-system policy (modes, ownership) has one home.
 */
import Database from "better-sqlite3";
import { stateErrors } from "../../errors/state.js";
import type { Logger } from "../../observability/logger.js";
import { preparePrivateFile } from "../../persistence/privateFs.js";

export function openDatabaseFile(
  instance: string,
  file: string,
  synchronous: "normal" | "full",
  busyTimeoutMs: number,
  log: Logger,
): Database.Database {
  try {
    // Private before SQLite opens it: SQLite gives -wal and -shm the main file's mode.
    preparePrivateFile(file, log);
    const db = new Database(file, { timeout: busyTimeoutMs });
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    return db;
  } catch (e) {
    throw stateErrors.backendFailed({ instance, backend: "sqlite", op: `opening ${file}`, cause: e });
  }
}
