/**
 * Who may talk to the socket: KEYLESS_SOCKET_MODE and KEYLESS_SOCKET_GROUP narrow it, checked with real
 * processes running as other users (when the tests run as root), and bad settings stop keyless clearly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { KEYLESS_MAIN } from "../helpers/paths.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Tries to connect to the socket as another user; returns "connected" or the error code. */
function connectAs(socket: string, uid: number, gid: number): string {
  const script = `const s=require("node:net").connect(${JSON.stringify(socket)});s.on("connect",()=>{console.log("connected");s.destroy()});s.on("error",(e)=>console.log(e.code))`;
  const r = spawnSync(process.execPath, ["-e", script], { uid, gid, encoding: "utf8", timeout: 10_000 });
  return r.stdout.trim();
}

describe("socket access settings", () => {
  const tmp = makeTmpDir("sa");
  const socketDir = path.join(tmp.dir, "s");
  let keyless: KeylessProcess;

  beforeAll(async () => {
    // Other users must be able to reach the folder for the mode of the socket itself to decide.
    chmodSync(tmp.dir, 0o755);
    mkdirSync(socketDir, { mode: 0o755 });
    keyless = await startKeyless({
      socketDir,
      dataDir: path.join(tmp.dir, "data"),
      env: {
        KEYLESS_SOCKET_MODE: "0660",
        KEYLESS_SOCKET_GROUP: asRoot ? "nogroup" : String(process.getgid!()),
      },
    });
  });
  afterAll(async () => {
    await keyless?.stop();
    tmp.cleanup();
  });

  it("gives the socket the configured mode and group", async () => {
    await waitFor(
      "keyless to report serving",
      () => keyless.lines.some((l) => l.includes("keyless is serving")) || undefined,
    );
    const st = statSync(keyless.socket);
    expect((st.mode & 0o777).toString(8)).toBe("660");
    expect(st.gid).toBe(asRoot ? NOBODY : process.getgid!());
  });

  it.skipIf(!asRoot)("lets a member of the group connect and refuses any other user", () => {
    expect(connectAs(keyless.socket, NOBODY, NOBODY)).toBe("connected");
    expect(connectAs(keyless.socket, NOBODY, 1)).toBe("EACCES");
  });

  it.each([
    ["KEYLESS_SOCKET_MODE", "0777x", /KEYLESS_SOCKET_MODE must be an octal mode/],
    ["KEYLESS_SOCKET_MODE", "0066", /does not let keyless's own user read and write/],
    ["KEYLESS_SOCKET_GROUP", "no-such-group-here", /is not a group in \/etc\/group/],
  ])("refuses to start with %s=%s and says why", (name, value, message) => {
    const r = spawnSync(process.execPath, [KEYLESS_MAIN, "serve"], {
      env: {
        PATH: process.env.PATH ?? "",
        DAPR_COMPONENTS_SOCKETS_FOLDER: path.join(tmp.dir, "bad"),
        KEYLESS_DATA_DIR: path.join(tmp.dir, "bad-data"),
        [name]: value,
      },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toMatch(message);
  });
});
