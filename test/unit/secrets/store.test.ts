import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { secretStoreKind } from "../../../src/secrets/component.js";
import { createEnvSource } from "../../../src/secrets/sources/env.js";
import { createFileSource } from "../../../src/secrets/sources/file.js";
import { SecretStore } from "../../../src/secrets/store.js";
import { makeTmpDir } from "../../helpers/tmp.js";
import { testBuildContext } from "../../helpers/contexts.js";

describe("secret sources and chain", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => {
    tmp = makeTmpDir("sec");
  });
  afterEach(() => tmp.cleanup());

  it("flattens nested JSON with the separator", async () => {
    writeFileSync(path.join(tmp.dir, "s.json"), JSON.stringify({ db: { user: "u", port: 5432 }, top: "t" }));
    const src = await createFileSource({ instance: "i", file: "s.json", separator: ":", baseDir: tmp.dir });
    expect(await src.get("db:user")).toBe("u");
    expect(await src.get("db:port")).toBe("5432");
    expect(await src.get("db")).toBeUndefined();
    expect([...(await src.list()).keys()].sort()).toEqual(["db:port", "db:user", "top"]);
  });

  it("reads YAML files", async () => {
    writeFileSync(path.join(tmp.dir, "s.yaml"), "api:\n  key: abc\n");
    const src = await createFileSource({ instance: "i", file: "s.yaml", separator: ".", baseDir: tmp.dir });
    expect(await src.get("api.key")).toBe("abc");
  });

  it("fails with SOURCE_FAILED that names the file but never echoes its content", async () => {
    writeFileSync(path.join(tmp.dir, "bad.json"), '{"pw": "hunter2-canary"');
    const p = createFileSource({ instance: "inst", file: "bad.json", separator: ":", baseDir: tmp.dir });
    await expect(p).rejects.toMatchObject({ code: "SOURCE_FAILED" });
    const err = (await p.catch((e: Error) => e)) as Error;
    expect(err.message).toContain("bad.json");
    expect(err.message).not.toContain("hunter2-canary");
  });

  it("reads env vars by exact and shell spelling, and lists only prefixed ones", async () => {
    const src = createEnvSource({
      prefix: "APP_",
      env: { APP_DB_PASSWORD: "p", "APP_raw-name": "r", OTHER: "x" },
    });
    expect(await src.get("db-password")).toBe("p");
    expect(await src.get("raw-name")).toBe("r");
    expect(await src.get("OTHER")).toBeUndefined();
    expect([...(await src.list()).keys()].sort()).toEqual(["DB_PASSWORD", "raw-name"]);
  });

  it("honours chain order and names every consulted source when a secret is missing", async () => {
    const a = createEnvSource({ prefix: "A_", env: { A_x: "from-a" } });
    const b = createEnvSource({ prefix: "B_", env: { B_x: "from-b", B_y: "only-b" } });
    const store = new SecretStore("mystore", [a, b]);
    expect(await store.get("x")).toEqual({ x: "from-a" });
    expect(await store.get("y")).toEqual({ y: "only-b" });
    const bulk = await store.bulkGet();
    expect(bulk.get("x")).toEqual({ x: "from-a" });
    const err = await store.get("missing").catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: "SECRET_NOT_FOUND" });
    expect(err.message).toContain('"mystore"');
    expect(err.message).toContain('"missing"');
    expect(err.message).toContain("env(A_*), env(B_*)");
  });

  it("rejects empty names and control characters", async () => {
    const store = new SecretStore("s", [createEnvSource({ prefix: "A_", env: {} })]);
    await expect(store.get("")).rejects.toMatchObject({ code: "SECRET_NAME_INVALID" });
    await expect(store.get("a\u0000b")).rejects.toMatchObject({ code: "SECRET_NAME_INVALID" });
    await expect(store.get("x".repeat(2000))).rejects.toMatchObject({ code: "SECRET_NAME_INVALID" });
  });

  it("refuses Init metadata without sources, and names the field", async () => {
    const ctx = testBuildContext(tmp.dir, { instance: "i" });
    await expect(secretStoreKind.build({}, ctx)).rejects.toMatchObject({ code: "METADATA_INVALID" });
    await expect(secretStoreKind.build({ sources: "env" }, ctx)).rejects.toThrow(/envPrefix: required/);
    await expect(secretStoreKind.build({ sources: "vault" }, ctx)).rejects.toThrow(/unknown source "vault"/);
  });

  it("applies allowedSecrets and deniedSecrets to Get and BulkGet", async () => {
    const src = createEnvSource({ prefix: "P_", env: { P_a: "1", P_b: "2", P_c: "3" } });
    const allow = new SecretStore("s", [src], { allowed: ["a", "b"], denied: ["b"] });
    expect(await allow.get("a")).toEqual({ a: "1" });
    await expect(allow.get("b")).rejects.toMatchObject({
      code: "SECRET_NOT_ALLOWED",
      message: expect.stringContaining("deniedSecrets"),
    });
    await expect(allow.get("c")).rejects.toMatchObject({
      code: "SECRET_NOT_ALLOWED",
      message: expect.stringContaining("allowedSecrets"),
    });
    expect([...(await allow.bulkGet()).keys()]).toEqual(["a"]);
  });

  it("caps BulkGet at maxresults and refuses a malformed one", async () => {
    const src = createEnvSource({ prefix: "P_", env: { P_a: "1", P_b: "2", P_c: "3" } });
    const store = new SecretStore("s", [src]);
    expect((await store.bulkGet({ maxresults: "2" })).size).toBe(2);
    await expect(store.bulkGet({ maxresults: "lots" })).rejects.toMatchObject({
      code: "REQUEST_INVALID",
      message: expect.stringContaining("maxresults must be a positive integer"),
    });
  });

  it("serves multi-valued file secrets as key/value maps and advertises the feature", async () => {
    writeFileSync(
      path.join(tmp.dir, "multi.json"),
      JSON.stringify({ db: { user: "u", password: "p", opts: { ssl: true } }, single: "s" }),
    );
    const ctx = testBuildContext(tmp.dir, { instance: "m" });
    const store = await secretStoreKind.build({ secretsFile: "multi.json", multiValued: "true" }, ctx);
    expect(await store.get("db")).toEqual({ user: "u", password: "p", "opts:ssl": "true" });
    expect(await store.get("single")).toEqual({ single: "s" });
    expect(secretStoreKind.featuresOf?.(store)).toEqual(["MULTIPLE_KEY_VALUES_PER_SECRET"]);
    expect((await store.bulkGet()).get("db")).toEqual({ user: "u", password: "p", "opts:ssl": "true" });
    const single = await secretStoreKind.build({ secretsFile: "multi.json" }, ctx);
    expect(secretStoreKind.featuresOf?.(single)).toEqual([]);
    expect(await single.get("db:password")).toEqual({ "db:password": "p" });
  });
});
