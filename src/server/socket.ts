/**
 * Socket file lifecycle. daprd scans the socket folder once at start-up and hangs on a stale socket
 * file (pluggable-components spec 1.2), so: remove a stale file before binding, refuse to start when a
 * live process owns the socket, give it the configured mode and group, and remove it on shutdown.
 *
 * Whoever can connect to the socket can read every secret keyless can read and every state value: the
 * socket is the trust boundary. The default mode 0666 lets daprd's non-root image (another uid) connect;
 * operators narrow it with KEYLESS_SOCKET_MODE / KEYLESS_SOCKET_GROUP and by sharing the socket folder only
 * between keyless and daprd.
 */
import { readFileSync } from "node:fs";
import { chmod, chown, lstat, mkdir, unlink } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { readSetting, type Env } from "../processSettings.js";
import { SocketFolderError } from "./socketFolder.js";

/** Linux limits a Unix socket path to 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export class SocketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SocketError";
  }
}

export function socketPath(env: Env, componentName: string): string {
  let folder: string;
  try {
    folder = readSetting(env, "DAPR_COMPONENTS_SOCKETS_FOLDER");
  } catch (e) {
    if (e instanceof SocketFolderError) throw new SocketError(e.message);
    throw e;
  }
  const p = path.resolve(folder, `${componentName}.sock`);
  if (Buffer.byteLength(p) > MAX_SOCKET_PATH) {
    throw new SocketError(
      `socket path ${p} is longer than ${MAX_SOCKET_PATH} bytes, the Linux limit; use a shorter folder`,
    );
  }
  return p;
}

/** Returns true when something accepts connections on the socket. */
function isLive(file: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(file);
    const done = (live: boolean) => {
      sock.destroy();
      resolve(live);
    };
    sock.setTimeout(timeoutMs, () => done(true)); // accepted but silent still means "owned"
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

export async function prepareSocket(file: string): Promise<{ removedStale: boolean }> {
  await mkdir(path.dirname(file), { recursive: true });
  let st;
  try {
    st = await lstat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { removedStale: false };
    throw e;
  }
  if (!st.isSocket()) {
    throw new SocketError(
      `${file} exists and is not a socket; keyless will not remove it. Move it away and start again.`,
    );
  }
  if (await isLive(file)) {
    throw new SocketError(
      `another process is already serving on ${file}; stop it first, or give this keyless another KEYLESS_COMPONENT_NAME`,
    );
  }
  await unlink(file);
  return { removedStale: true };
}

export interface SocketAccess {
  mode: number;
  /** Group id the socket is given (chown), when set. */
  gid?: number;
}

/** The mode a server gives its socket when nobody chose one: KEYLESS_SOCKET_MODE's declared default. */
export const DEFAULT_SOCKET_MODE = readSetting({}, "KEYLESS_SOCKET_MODE");

/**
 * KEYLESS_SOCKET_MODE (octal, e.g. 0660) and KEYLESS_SOCKET_GROUP (a group name or numeric id), parsed as
 * processSettings.ts declares; a group name is resolved here, in `groupFile`.
 */
export function readSocketAccess(env: Env, groupFile = "/etc/group"): SocketAccess {
  const mode = readSetting(env, "KEYLESS_SOCKET_MODE");
  const group = readSetting(env, "KEYLESS_SOCKET_GROUP");
  if (group === undefined) return { mode };
  return { mode, gid: /^\d+$/.test(group) ? Number(group) : groupId(group, groupFile) };
}

function groupId(name: string, groupFile: string): number {
  let text = "";
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    // fall through to the error below
  }
  for (const line of text.split("\n")) {
    const [n, , gid] = line.split(":");
    if (n === name && gid && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new SocketError(
    `KEYLESS_SOCKET_GROUP ${JSON.stringify(name)} is not a group in ${groupFile}; give a group name or a numeric gid`,
  );
}

export async function applySocketAccess(file: string, access: SocketAccess): Promise<void> {
  if (access.gid !== undefined) {
    try {
      await chown(file, -1, access.gid);
    } catch (e) {
      throw new SocketError(
        `cannot give ${file} the group ${access.gid} (${(e as NodeJS.ErrnoException).code ?? "error"}); keyless's user must belong to that group`,
      );
    }
  }
  await chmod(file, access.mode);
}

export async function removeSocket(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
