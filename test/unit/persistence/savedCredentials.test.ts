import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stateMetadata } from "../../../src/metadata/stateMetadata.js";
import { SavedInitStore } from "../../../src/persistence/savedInit.js";
import { makeTmpDir } from "../../helpers/tmp.js";

describe("saved credentials (KEYLESS_SAVE_CREDENTIALS)", () => {
  const tmp = makeTmpDir("creds");
  afterAll(() => tmp.cleanup());
  const conn =
    "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net";

  it("keeps credential values out of the Init file and in their own 0600 file, and reads both back", async () => {
    const dir = path.join(tmp.dir, "a");
    const store = new SavedInitStore(path.join(dir, "instances"), path.join(dir, "credentials"));
    await store.save("state", "orders", { backend: "tables", connectionString: conn }, stateMetadata);
    expect(readFileSync(path.join(dir, "instances", "state--orders.json"), "utf8")).not.toContain("c2VjcmV0");
    const file = path.join(dir, "credentials", "state--orders.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const loaded = await store.load("state", "orders");
    expect(loaded?.omittedKeys).toEqual(["connectionString"]);
    expect(loaded?.credentials).toEqual({ connectionString: conn });
  });

  it("writes no file for an instance without credentials, and removes one when an Init without them replaces it", async () => {
    const dir = path.join(tmp.dir, "b");
    const store = new SavedInitStore(path.join(dir, "instances"), path.join(dir, "credentials"));
    await store.save("state", "plain", { backend: "sqlite" }, stateMetadata);
    expect(existsSync(path.join(dir, "credentials", "state--plain.json"))).toBe(false);
    await store.save("state", "orders", { backend: "tables", connectionString: conn }, stateMetadata);
    await store.save(
      "state",
      "orders",
      { backend: "tables", tableEndpoint: "https://a.table.core.windows.net" },
      stateMetadata,
    );
    expect(readdirSync(path.join(dir, "credentials"))).toEqual([]);
    expect((await store.load("state", "orders"))?.credentials).toBeUndefined();
  });

  it("saves no credential without the opt-in", async () => {
    const dir = path.join(tmp.dir, "c");
    const store = new SavedInitStore(path.join(dir, "instances"));
    await store.save("state", "orders", { backend: "tables", connectionString: conn }, stateMetadata);
    expect(existsSync(path.join(dir, "credentials"))).toBe(false);
    expect((await store.load("state", "orders"))?.credentials).toBeUndefined();
    expect(store.savesCredentials).toBe(false);
  });
});
