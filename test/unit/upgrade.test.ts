/**
 * Files written by keyless 0.1.0 (a SQLite state database and saved Init metadata) are read by this
 * build: upgrading keyless under a running daprd keeps every instance and every value.
 */
import { afterAll, describe, expect, it } from "vitest";
import { cpSync } from "node:fs";
import path from "node:path";
import { secretStoreKind } from "../../src/secrets/component.js";
import { stateKind } from "../../src/state/component.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { testRegistry } from "../helpers/contexts.js";

describe("upgrade from 0.1.0 files", () => {
  const tmp = makeTmpDir("upg");
  afterAll(() => tmp.cleanup());
  cpSync(path.join(REPO_ROOT, "test/fixtures/upgrade/v0.1.0"), tmp.dir, { recursive: true });
  const registry = testRegistry(tmp.dir, { env: { UPGRADE_token: "from-env" } });

  it("restores the state instance and reads every value byte for byte", async () => {
    const got = await registry.use(stateKind, "statestore", (s) =>
      s.bulkGet(["app||json", "app||bytes", "app||ttl"]),
    );
    expect(got[0]!.value!.toString()).toBe('{"hello":"world"}');
    expect(got[0]!.contentType).toBe("application/json");
    expect([...got[1]!.value!]).toEqual([0, 1, 2, 255]);
    expect(got[2]!.metadata.ttlExpireTime).toMatch(/Z$/);
    // And keeps working on the old file.
    const again = await registry.use(stateKind, "statestore", async (s) => {
      await s.set({
        key: "app||new",
        value: Buffer.from("1"),
        etag: null,
        metadata: {},
        concurrency: "unspecified",
        contentType: "",
      });
      return s.get("app||new");
    });
    expect(again.value!.toString()).toBe("1");
  });

  it("restores the secret store from its saved metadata", async () => {
    expect(await registry.use(secretStoreKind, "localsecrets", (s) => s.get("token"))).toEqual({
      token: "from-env",
    });
  });
});
