/**
 * Refresh-ahead through a real daprd: steady Gets across cacheTTL boundaries never wait on a Key Vault
 * that holds every call, and a new version is picked up and logged by name and version only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { startStack, type Stack } from "./fixture.js";
import { canary } from "../helpers/suiteRecord.js";

describe("refresh-ahead through daprd", () => {
  const app = makeIdentity("refresh-app");
  const v1 = canary("ra1");
  const v2 = canary("ra2");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let stack: Stack;

  beforeAll(async () => {
    env = await startStandIns({
      identities: [app],
      secrets: [{ name: "api-key", value: v1 }],
      access: { [app.objectId]: "*" },
    });
    stack = await startStack({
      tag: "refresh",
      components: [],
      keylessEnv: env.identity.env(),
      extra: {
        // A short TTL keeps the test short; test/unit/secrets/refreshAhead.test.ts covers the default.
        "kv.yaml": componentYaml("kv", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
          cacheTTL: "3s",
          requestTimeout: "10s",
        }),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  it("answers steady Gets across TTL boundaries while the vault holds every call", async () => {
    const url = `${stack.daprd.http}/v1.0/secrets/kv/api-key`;
    const read = async () => {
      const r = await call("GET", url);
      expect(r.status).toBe(200);
      return (r.json as Record<string, string>)["api-key"];
    };
    expect(await read()).toBe(v1);
    // The vault answers nothing until released: a Get that waited on it could not be answered meanwhile.
    let release!: () => void;
    env.vault.setGetFault({ kind: "held", release: new Promise<void>((r) => (release = r)) });
    const version = env.vault.setSecret({ name: "api-key", value: v2 });
    const seen = new Set<string | undefined>();
    const until = Date.now() + 9_000; // three TTLs
    while (Date.now() < until) {
      seen.add(await read());
      await sleep(150);
    }
    expect(seen).toEqual(new Set([v1]));
    // Released, the refresh already in flight brings the new version, in the background.
    release();
    env.vault.setGetFault({ kind: "none" });
    await waitFor("the new version", async () => ((await read()) === v2 ? true : undefined), {
      timeoutMs: 15_000,
    });
    await waitFor("the rotation log line", () =>
      stack.keyless.lines.some((l) => l.includes(`secret api-key rotated to version ${version}`)),
    );
    const all = stack.keyless.lines.join("\n");
    expect(all).not.toContain(v1);
    expect(all).not.toContain(v2);
  });
});
