/**
 * Socket file lifecycle. daprd scans the socket folder once at start-up and hangs on a stale socket
 * file (pluggable-components spec 1.2), so: remove a stale file before binding, refuse to start when a
 * live process owns the socket, make it 0666 so a daprd running as another user can connect, and remove
 * it on shutdown.
 */
import { chmod, lstat, mkdir, unlink } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { socketFolder, SocketFolderError } from "./socketFolder.js";

/** Linux limits a Unix socket path to 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export class SocketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SocketError";
  }
}

export function socketPath(env: NodeJS.ProcessEnv, componentName: string): string {
  let folder: string;
  try {
    folder = socketFolder(env);
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

export async function openSocketPermissions(file: string): Promise<void> {
  await chmod(file, 0o666);
}

export async function removeSocket(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
