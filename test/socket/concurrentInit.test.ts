/**
 * Many Inits of one instance at once (daprd reloading, or a burst from a misbehaving client): the saved
 * metadata stays valid JSON, the last Init wins in memory and on disk, nothing warns falsely, and after a
 * keyless restart the instance comes back with the last metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { SocketClient } from "../helpers/socketClient.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

const S = "StateStore";

describe("concurrent Inits of one instance", () => {
  const tmp = makeTmpDir("ci");
  const socketDir = path.join(tmp.dir, "s");
  const dataDir = path.join(tmp.dir, "data");
  const instancesDir = path.join(dataDir, "instances");
  let keyless: KeylessProcess;

  const start = async () => (keyless = await startKeyless({ socketDir, dataDir, cwd: tmp.dir }));
  beforeAll(start);
  afterAll(async () => {
    await keyless?.stop();
    tmp.cleanup();
  });

  const savedFiles = () => readdirSync(instancesDir);
  const saved = (instance: string) =>
    JSON.parse(readFileSync(path.join(instancesDir, `state--${instance}.json`), "utf8")) as {
      properties: Record<string, string>;
    };

  it("saves identical metadata 40 times at once without a single warning", async () => {
    const client = new SocketClient(keyless.socket);
    const props = { path: "same.db", ttlCleanupInterval: "30s" };
    await Promise.all(
      Array.from({ length: 40 }, () => client.call(S, "Init", { metadata: { properties: props } }, "same")),
    );
    client.close();
    expect(saved("same").properties).toEqual(props);
    expect(keyless.lines.filter((l) => l.includes('"level":40'))).toEqual([]);
  });

  it("keeps the last of 50 differing Inits, on disk and after a keyless restart", async () => {
    const client = new SocketClient(keyless.socket);
    // One connection, as daprd uses per instance: the calls arrive in the order they are sent.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.call(S, "Init", { metadata: { properties: { path: `db-${i}.db` } } }, "mixed"),
      ),
    );
    expect(saved("mixed").properties).toEqual({ path: "db-49.db" });
    expect(savedFiles().filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(keyless.lines.filter((l) => l.includes("could not save Init metadata"))).toEqual([]);
    client.close();

    await keyless.stop();
    await start();
    const after = new SocketClient(keyless.socket);
    await after.call(S, "Set", { key: "where", value: Buffer.from("here") }, "mixed");
    after.close();
    await waitFor(
      "the restore to be logged",
      () => keyless.lines.some((l) => l.includes("restored instance from saved Init metadata")) || undefined,
    );
    const db = new Database(path.join(tmp.dir, "db-49.db"), { readonly: true });
    expect(db.prepare("SELECT key FROM state").all()).toEqual([{ key: "where" }]);
    db.close();
  });
});
