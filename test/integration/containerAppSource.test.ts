/** The containerapp source: secrets volume, app manifest env/value/keyVaultUrl entries, path tricks. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { secretStoreKind } from "../../src/secrets/component.js";
import type { SecretStore } from "../../src/secrets/store.js";
import { makeIdentity, scrubAzureEnv, startStandIns } from "../helpers/standins.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { testBuildContext } from "../helpers/contexts.js";

describe("containerapp source", () => {
  const appIdentity = makeIdentity("app");
  const tmp = makeTmpDir("aca");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let store: SecretStore;

  beforeAll(async () => {
    scrubAzureEnv();
    env = await startStandIns({
      identities: [appIdentity],
      secrets: [{ name: "from-vault", value: "vault-value" }],
      access: { [appIdentity.objectId]: "*" },
    });
    Object.assign(process.env, env.identity.env());
    const vol = path.join(tmp.dir, "secrets");
    mkdirSync(vol);
    writeFileSync(path.join(vol, "queue-connection"), "volume-value");
    writeFileSync(path.join(vol, ".hidden"), "nope");
    writeFileSync(path.join(tmp.dir, "outside"), "outside-value");
    writeFileSync(
      path.join(tmp.dir, "app.yaml"),
      [
        "properties:",
        "  configuration:",
        "    secrets:",
        "      - name: api-key",
        "        value: manifest-value",
        "      - name: env-secret",
        "        value: value-in-manifest",
        "      - name: kv-ref",
        `        keyVaultUrl: ${env.vault.url}/secrets/from-vault`,
        `        identity: ${appIdentity.resourceId}`,
        "  template:",
        "    containers:",
        "      - name: app",
        "        env:",
        "          - name: ENV_SECRET",
        "            secretRef: env-secret",
      ].join("\n"),
    );
    store = await secretStoreKind.build(
      { sources: "containerapp", secretsMountPath: "secrets", containerAppManifest: "app.yaml" },
      testBuildContext(tmp.dir, { instance: "aca", env: { ENV_SECRET: "injected-by-aca" } }),
    );
  });
  afterAll(async () => {
    await env?.close();
    tmp.cleanup();
  });

  it("reads the secrets volume", async () => {
    expect(await store.get("queue-connection")).toEqual({ "queue-connection": "volume-value" });
  });

  it("prefers the env var Container Apps injected over the manifest value", async () => {
    expect(await store.get("env-secret")).toEqual({ "env-secret": "injected-by-aca" });
  });

  it("serves manifest values and resolves keyVaultUrl references with the named identity", async () => {
    expect(await store.get("api-key")).toEqual({ "api-key": "manifest-value" });
    expect(await store.get("kv-ref")).toEqual({ "kv-ref": "vault-value" });
    expect(env.identity.requests.at(-1)).toMatchObject({ identity: appIdentity.resourceId, status: 200 });
  });

  it.each(["../outside", "/etc/passwd", "secrets/../../outside", ".hidden", "a/b", "..", "UPPER"])(
    "refuses to look outside the volume for %j",
    async (name) => {
      await expect(store.get(name)).rejects.toMatchObject({ code: "SECRET_NOT_FOUND" });
    },
  );

  it("bulk-lists volume and manifest secrets, skipping dot-files", async () => {
    const all = await store.bulkGet();
    expect([...all.keys()].sort()).toEqual(["api-key", "env-secret", "kv-ref", "queue-connection"]);
  });
});
