/**
 * Refresh-ahead through a real daprd: steady Gets across cacheTTL boundaries never wait on a Key Vault
 * slowed to 2 seconds, and a new version is picked up and logged by name and version only.
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

  it("answers steady Gets across TTL boundaries without waiting on a vault slowed to 2 seconds", async () => {
    const url = `${stack.daprd.http}/v1.0/secrets/kv/api-key`;
    expect((await call("GET", url)).json).toEqual({ "api-key": v1 });
    env.vault.setGetFault({ kind: "slow", delayMs: 2_000 });
    const version = env.vault.setSecret({ name: "api-key", value: v2 });
    const slowest: number[] = [];
    const seen = new Set<string>();
    const until = Date.now() + 9_000; // three TTLs
    while (Date.now() < until) {
      const start = performance.now();
      const r = await call("GET", url);
      slowest.push(performance.now() - start);
      expect(r.status).toBe(200);
      seen.add((r.json as Record<string, string>)["api-key"]!);
      await sleep(150);
    }
    env.vault.setGetFault({ kind: "none" });
    expect(Math.max(...slowest)).toBeLessThan(1_000);
    // The rotation made it through the slow vault, in the background.
    expect(seen).toContain(v2);
    await waitFor("the rotation log line", () =>
      stack.keyless.lines.some((l) => l.includes(`secret api-key rotated to version ${version}`)),
    );
    const all = stack.keyless.lines.join("\n");
    expect(all).not.toContain(v1);
    expect(all).not.toContain(v2);
  });
});
