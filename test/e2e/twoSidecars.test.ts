/**
 * Two daprd sidecars on one keyless socket both define "statestore". The second must not silently take
 * over the first app's instance (its writes would land in the other app's database); hot reload of the
 * first app's own YAML must still replace its instance; and a keyless restart (after which daprd never
 * re-sends Init) must not open a window for the second app either.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { componentYaml } from "../helpers/componentYaml.js";
import { startDaprd, writeResources, type Daprd } from "../helpers/daprd.js";
import { stateApi } from "../helpers/http.js";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

const store = (file: string) => componentYaml("statestore", "state.keyless", { path: file });

function keysIn(file: string): string[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT key FROM state ORDER BY key").all() as { key: string }[]).map((r) => r.key);
  } finally {
    db.close();
  }
}

describe("two daprd sidecars sharing one keyless", () => {
  const tmp = makeTmpDir("two");
  const socketDir = path.join(tmp.dir, "sock");
  const dbA = path.join(tmp.dir, "app-a.db");
  const dbA2 = path.join(tmp.dir, "app-a-reloaded.db");
  const dbB = path.join(tmp.dir, "app-b.db");
  const dataDir = path.join(tmp.dir, "data");
  let keyless: KeylessProcess;
  let daprdA: Daprd;
  let resourcesA: string;

  /** daprd B with a different statestore: its Init must be refused, whichever way its start-up ends. */
  async function expectSecondSidecarRefused(resourcesName: string) {
    const resourcesB = writeResources(path.join(tmp.dir, resourcesName), [], {
      "statestore.yaml": store(dbB),
    });
    // daprd B logs the refusal and shuts down; during that shutdown it may still answer its health check
    // once, so the refusal is read from its output whichever way its start-up ends.
    const b = await startDaprd({ socketDir, resourcesDir: resourcesB, appId: "app-b" }).then(
      (d): Daprd | Error => d,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    const refusal = /already initialised by another live daprd connection/;
    if (b instanceof Error) expect(b.message).toMatch(refusal);
    else {
      expect(b.lines.join("\n")).toMatch(refusal);
      await b.stop();
    }
  }

  beforeAll(async () => {
    keyless = await startKeyless({ socketDir, dataDir });
    resourcesA = writeResources(path.join(tmp.dir, "res-a"), [], { "statestore.yaml": store(dbA) });
    daprdA = await startDaprd({ socketDir, resourcesDir: resourcesA, appId: "app-a" });
  });
  afterAll(async () => {
    await daprdA?.stop();
    await keyless?.stop();
    tmp.cleanup();
  });

  it("refuses a second sidecar's different statestore, and app 1's writes stay in app 1's database", async () => {
    const a = stateApi(daprdA.http, "statestore");
    expect((await a.save([{ key: "before", value: 1 }])).status).toBe(204);

    await expectSecondSidecarRefused("res-b");

    expect((await a.save([{ key: "after", value: 2 }])).status).toBe(204);
    expect(keysIn(dbA)).toEqual(["app-a||after", "app-a||before"]);
    expect(keysIn(dbB)).toEqual([]);
  });

  it("still lets the first sidecar's hot reload replace its own instance", async () => {
    writeFileSync(path.join(resourcesA, "statestore.yaml"), store(dbA2));
    const a = stateApi(daprdA.http, "statestore");
    await waitFor(
      "the reloaded statestore to write to the new database",
      async () => {
        await a.save([{ key: "reloaded", value: 3 }]);
        return keysIn(dbA2).includes("app-a||reloaded") || undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(keyless.lines.filter((l) => l.includes("INSTANCE_IN_USE"))).toHaveLength(1); // app 2's, above
  });

  it("after a keyless restart, the sidecar whose calls restored the instance still owns it", async () => {
    await keyless.stop();
    keyless = await startKeyless({ socketDir, dataDir });
    const a = stateApi(daprdA.http, "statestore");
    // daprd A reconnects by itself and never re-sends Init: its first call restores the instance.
    await waitFor(
      "daprd A to reach the restarted keyless",
      async () => ((await a.save([{ key: "restored", value: 4 }])).status === 204 ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(keyless.lines.some((l) => l.includes("restored instance from saved Init metadata"))).toBe(true);

    await expectSecondSidecarRefused("res-b2");

    expect((await a.save([{ key: "still-mine", value: 5 }])).status).toBe(204);
    expect(keysIn(dbA2)).toEqual(["app-a||reloaded", "app-a||restored", "app-a||still-mine"]);
    expect(keysIn(dbB)).toEqual([]);
  });
});
