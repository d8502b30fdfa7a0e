/**
 * keyless's own files hold state values and Init metadata, so they are private to its user whatever the
 * umask: folders 0700, files 0600. Modes are set explicitly (not through process.umask, which would also
 * hide the socket folder from a daprd running as another user). SQLite creates its -wal and -shm files with
 * the mode of the database file, so creating the database 0600 first covers them too.
 */
import { chmodSync, closeSync, constants, mkdirSync, openSync, statSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../observability/logger.js";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
const OTHERS = 0o077;

/**
 * Creates `dir` (and missing parents) 0700; an existing folder readable or writable by others is tightened
 * to 0700, or named in a warning when that is not allowed (another owner).
 */
export function ensurePrivateDir(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir, PRIVATE_DIR_MODE, log);
}

/**
 * Makes sure `file` exists with mode 0600 before a library opens it, creating missing folders 0700. An
 * existing file (and its SQLite -wal / -shm companions) open to others is tightened, or warned about.
 */
export function preparePrivateFile(file: string, log: Logger): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  // O_CREAT without O_TRUNC: creates an empty file, or leaves an existing one untouched.
  closeSync(openSync(file, constants.O_CREAT | constants.O_WRONLY, PRIVATE_FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) tighten(f, PRIVATE_FILE_MODE, log);
}

function tighten(p: string, mode: number, log: Logger): void {
  let current: number;
  try {
    current = statSync(p).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  // A umask like 0o277 could also remove the owner's own bits; set the exact mode whenever it differs.
  if (current === mode) return;
  try {
    chmodSync(p, mode);
    if (current & OTHERS) {
      log.warn(
        { path: p, was: current.toString(8), now: mode.toString(8) },
        "tightened the mode of a keyless data path that others could read",
      );
    }
  } catch (e) {
    log.warn(
      { path: p, mode: current.toString(8), err: (e as NodeJS.ErrnoException).code },
      "a keyless data path is open to other users and keyless may not change its mode; restrict it yourself",
    );
  }
}

/** At start-up: KEYLESS_DATA_DIR and the folders keyless keeps in it, private. Never stops keyless. */
export function preparePrivateDataDir(dataDir: string, log: Logger): void {
  try {
    for (const d of [dataDir, path.join(dataDir, "state"), path.join(dataDir, "instances")]) {
      ensurePrivateDir(d, log);
    }
  } catch (e) {
    log.warn(
      { dataDir, err: (e as NodeJS.ErrnoException).code ?? (e as Error).message },
      "cannot prepare KEYLESS_DATA_DIR; SQLite files and saved Init metadata may fail",
    );
  }
}
