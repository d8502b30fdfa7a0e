/**
 * What keyless keeps on the local disk, seen through a real daprd: only declared, non-credential metadata
 * is saved, and everything keyless creates is private to its user whatever the umask.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { componentYaml } from "../helpers/componentYaml.js";
import { call, stateApi } from "../helpers/http.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { startStack, type Stack } from "./fixture.js";

const CANARIES = {
  azureClientSecret: "canary-client-secret-5d1f",
  password: "canary-password-77aa",
  apiKey: "canary-api-key-0c3e",
};

/** A secrets volume as Kubernetes and Container Apps lay it out, plus links that try to leave it. */
function makeVolume(root: string): string {
  const vol = path.join(root, "volume");
  const stamp = path.join(vol, "..2026_01_01_00_00_00.000000001");
  mkdirSync(stamp, { recursive: true });
  writeFileSync(path.join(stamp, "db-password"), "inside-value");
  symlinkSync("..2026_01_01_00_00_00.000000001", path.join(vol, "..data"));
  symlinkSync("..data/db-password", path.join(vol, "db-password"));
  writeFileSync(path.join(root, "neighbour"), "canary-neighbour-91b2");
  symlinkSync("/etc/passwd", path.join(vol, "passwd"));
  symlinkSync("../neighbour", path.join(vol, "neighbour"));
  return vol;
}

describe("local data through daprd", () => {
  let stack: Stack;
  const volumeRoot = makeTmpDir("vol");

  beforeAll(async () => {
    const volume = makeVolume(volumeRoot.dir);
    stack = await startStack({
      tag: "ld",
      components: [],
      extra: {
        "lenient.yaml": componentYaml("lenient", "state.keyless", {
          allowUnknownMetadata: "true",
          ttlCleanupInterval: "30s",
          ...CANARIES,
        }),
        "volume.yaml": componentYaml("volume", "secretstores.keyless", { secretsMountPath: volume }),
      },
      // The usual umask of a login shell: without explicit modes, files would come out 0644.
      keylessUmask: "022",
      keylessEnv: { KEYLESS_TRACE: "secretstores" },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    volumeRoot.cleanup();
  });

  it("never writes unknown metadata (allowUnknownMetadata) to disk, nor logs its values", async () => {
    const api = stateApi(stack.daprd.http, "lenient");
    expect((await api.save([{ key: "k", value: "v" }])).status).toBe(204);
    const dir = path.join(stack.dataDir, "instances");
    const saved = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), "utf8"));
    const doc = JSON.parse(saved.find((t) => t.includes('"lenient"'))!) as {
      properties: Record<string, string>;
    };
    expect(doc.properties).toEqual({ allowUnknownMetadata: "true", ttlCleanupInterval: "30s" });
    const everything = saved.join("\n") + stack.keyless.lines.join("\n");
    for (const [key, canary] of Object.entries(CANARIES)) {
      expect(everything).not.toContain(canary);
      expect(saved.join("\n")).not.toContain(key);
    }
  });

  it("keeps the data folder 0700 and every file in it 0600 (SQLite -wal and -shm included) under umask 022", async () => {
    const api = stateApi(stack.daprd.http, "lenient");
    expect((await api.save([{ key: "private", value: "v" }])).status).toBe(204);
    const modes: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        modes[path.relative(stack.dataDir, p)] = (statSync(p).mode & 0o777).toString(8);
        if (e.isDirectory()) walk(p);
      }
    };
    modes["."] = (statSync(stack.dataDir).mode & 0o777).toString(8);
    walk(stack.dataDir);
    expect(Object.keys(modes)).toEqual(
      expect.arrayContaining(["state/lenient.db", "state/lenient.db-wal", "state/lenient.db-shm"]),
    );
    const open = Object.entries(modes).filter(([p, m]) =>
      p === "." || statSync(path.join(stack.dataDir, p)).isDirectory() ? m !== "700" : m !== "600",
    );
    expect(open).toEqual([]);
  });

  it("serves secrets volume links that stay inside the volume, and refuses links out of it", async () => {
    const secrets = `${stack.daprd.http}/v1.0/secrets/volume`;
    const inside = await call("GET", `${secrets}/db-password`);
    expect(inside.status).toBe(200);
    expect(inside.json).toEqual({ "db-password": "inside-value" });
    for (const name of ["passwd", "neighbour"]) {
      const r = await call("GET", `${secrets}/${name}`);
      expect(r.status).toBe(500);
      expect(JSON.stringify(r.json)).toContain("not found");
    }
    const bulk = await call("GET", `${secrets}/bulk`);
    expect(bulk.status).toBe(200);
    expect(bulk.json).toEqual({ "db-password": { "db-password": "inside-value" } });
    const log = stack.keyless.lines.join("\n");
    expect(log).not.toContain("canary-neighbour-91b2");
    expect(log).toMatch(/"entry":"passwd".*link points outside the volume/);
  });

  it("reports a bad maxresults on BulkGet as a bad maxresults, not as a bad secret name", async () => {
    const r = await call("GET", `${stack.daprd.http}/v1.0/secrets/volume/bulk?metadata.maxresults=lots`);
    expect(r.status).toBe(500);
    const text = JSON.stringify(r.json);
    expect(text).toContain("BulkGet metadata maxresults must be a positive integer");
    expect(text).not.toContain("invalid secret name");
  });
});
