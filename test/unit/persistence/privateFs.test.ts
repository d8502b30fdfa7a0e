import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { Writable } from "node:stream";
import { preparePrivateDataDir, preparePrivateFile } from "../../../src/persistence/privateFs.js";
import { makeTmpDir } from "../../helpers/tmp.js";

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: pino({ level: "info" }, stream) };
}

describe("private data files", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir("pfs")));
  afterEach(() => tmp.cleanup());

  it("tightens an existing data folder, its subfolders and a database with its -wal/-shm, and says so", () => {
    const data = path.join(tmp.dir, "data");
    const db = path.join(data, "state", "orders.db");
    mkdirSync(path.dirname(db), { recursive: true, mode: 0o755 });
    chmodSync(data, 0o755);
    chmodSync(path.dirname(db), 0o775);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) writeFileSync(f, "", { mode: 0o644 });
    const { lines, log } = capture();
    preparePrivateDataDir(data, log);
    preparePrivateFile(db, log);
    expect([data, path.dirname(db), path.join(data, "instances")].map(mode)).toEqual(["700", "700", "700"]);
    expect([db, `${db}-wal`, `${db}-shm`].map(mode)).toEqual(["600", "600", "600"]);
    expect(lines.filter((l) => l.includes("tightened the mode"))).toHaveLength(5);
  });

  it("creates a new database file 0600 in new 0700 folders, and keeps its content when it exists", () => {
    const db = path.join(tmp.dir, "new", "deeper", "x.db");
    const { lines, log } = capture();
    preparePrivateFile(db, log);
    expect([mode(db), mode(path.dirname(db)), mode(path.join(tmp.dir, "new"))]).toEqual([
      "600",
      "700",
      "700",
    ]);
    writeFileSync(db, "content");
    preparePrivateFile(db, log);
    expect(statSync(db).size).toBe(7);
    expect(lines).toEqual([]);
  });
});
