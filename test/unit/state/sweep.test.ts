import { describe, it } from "vitest";
import path from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { openSqliteBackend } from "../../../src/state/backends/sqlite.js";
import { StateStore } from "../../../src/state/store.js";
import { makeTmpDir } from "../../helpers/tmp.js";
import { waitFor } from "../../helpers/wait.js";

describe("SQLite expired-row sweep", () => {
  it("deletes expired rows in the background", async () => {
    const tmp = makeTmpDir("sweep");
    const file = path.join(tmp.dir, "s.db");
    let clock = 1_000_000;
    const backend = openSqliteBackend({
      instance: "s",
      file,
      table: "state",
      synchronous: "normal",
      busyTimeoutMs: 1000,
      cleanupIntervalMs: 100,
      now: () => clock,
      log: pino({ level: "silent" }),
    });
    const store = new StateStore("s", backend, () => clock);
    for (let i = 0; i < 5; i++) {
      await store.set({
        key: `k${i}`,
        value: Buffer.from("v"),
        etag: null,
        metadata: { ttlInSeconds: "1" },
        concurrency: "unspecified",
        contentType: "",
      });
    }
    await store.set({
      key: "keep",
      value: Buffer.from("v"),
      etag: null,
      metadata: {},
      concurrency: "unspecified",
      contentType: "",
    });
    clock += 1001;
    const raw = new Database(file, { readonly: true });
    const count = () => (raw.prepare("SELECT count(*) AS n FROM state").get() as { n: number }).n;
    await waitFor("the sweep to remove expired rows", () => (count() === 1 ? true : undefined), {
      timeoutMs: 5000,
    });
    raw.close();
    await store.close();
    tmp.cleanup();
  });
});
