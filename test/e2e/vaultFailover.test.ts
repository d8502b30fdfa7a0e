/**
 * Failover across two Key Vault stand-ins, through a real daprd. The primary goes down, then slow, then
 * throttling, then comes back, while an app reads a secret every 250 ms: every Get answers 200, the
 * primary is called about once per bench (5, 10, 20 s) instead of once per Get, and it serves again
 * once a probe finds it answering. One store reads with cacheTTL 0s and requestTimeout 2s so that every
 * Get reaches the vaults; another keeps the production defaults (cacheTTL 5m, requestTimeout 10s).
 * Each phase ends on an awaited event (the probe reaching the primary), not on a sleep of a guessed length.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKeyVaultStandIn, type KeyVaultStandIn } from "../../dev/keyVaultStandIn.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { call } from "../helpers/http.js";
import { freePort } from "../helpers/ports.js";
import { makeIdentity, startStandIns, testTls } from "../helpers/standins.js";
import { canary, recordCanaries } from "../helpers/suiteRecord.js";
import { startStack, type Stack } from "./fixture.js";

describe("failover across two vaults, through daprd", () => {
  const app = makeIdentity("failover-app");
  const names = ["fo-secret", "fo-prod", "fo-new-1", "fo-new-2", "fo-new-3"];
  const primaryValues = Object.fromEntries(names.map((n) => [n, canary(`primary-${n}`)]));
  const secondaryValues = Object.fromEntries(names.map((n) => [n, canary(`secondary-${n}`)]));
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let secondary: KeyVaultStandIn;
  let stack: Stack;
  let api: string;
  let metricsUrl: string;

  const get = async (store: string, name: string) => {
    const r = await call("GET", `${api}/secrets/${store}/${name}`);
    const body = r.json as Record<string, string> | undefined;
    return { status: r.status, value: r.status === 200 ? body?.[name] : r.text };
  };
  /** Authenticated requests that reached a vault (the SDK's first, token-less probe is a 401). */
  const reached = (v: KeyVaultStandIn) => v.requests.filter((r) => r.op === "get" && r.status !== 401).length;
  const tries = (v: KeyVaultStandIn) => v.requests.filter((r) => r.op === "get").length;

  beforeAll(async () => {
    env = await startStandIns({
      identities: [app],
      secrets: names.map((name) => ({ name, value: primaryValues[name]! })),
      access: { [app.objectId]: "*" },
    });
    secondary = await startKeyVaultStandIn({
      tls: testTls(),
      signer: env.identity.signer,
      tenantId: env.identity.tenantId,
      secrets: names.map((name) => ({ name, value: secondaryValues[name]! })),
      access: { [app.objectId]: "*" },
    });
    const store = (name: string, meta: Record<string, string>) =>
      componentYaml(name, "secretstores.keyless", {
        vaultUris: `${env.vault.url},${secondary.url}`,
        azureClientId: app.clientId,
        ...meta,
      });
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    stack = await startStack({
      tag: "failover",
      components: [],
      keylessEnv: {
        ...env.identity.env(),
        KEYLESS_METRICS_PORT: String(port),
        KEYLESS_METRICS_ADDRESS: "127.0.0.1",
      },
      extra: {
        "kv-fo.yaml": store("kv-fo", { cacheTTL: "0s", requestTimeout: "2s" }),
        "kv-fo-prod.yaml": store("kv-fo-prod", {}),
      },
    });
    api = `${stack.daprd.http}/v1.0`;
  });

  afterAll(async () => {
    await stack?.stop();
    recordCanaries(Object.values(secondaryValues));
    await secondary?.close();
    await env?.close();
  });

  it("down, slow, throttling, back: every Get answers, the primary is probed once per bench, then serves again", async () => {
    const statuses: number[] = [];
    const servedBy = { primary: 0, secondary: 0 };
    const read = async () => {
      const r = await get("kv-fo", "fo-secret");
      statuses.push(r.status);
      if (r.value === primaryValues["fo-secret"]) servedBy.primary++;
      if (r.value === secondaryValues["fo-secret"]) servedBy.secondary++;
    };
    /** Gets every 250 ms until `done()`; the phase's own event ends it. */
    const readUntil = async (done: () => boolean, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > end) throw new Error("the awaited event did not happen");
        await read();
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    await read();
    expect(servedBy).toEqual({ primary: 1, secondary: 0 });

    // Down: connections are refused; the first Get moves on, later ones skip the primary.
    env.vault.setFault({ kind: "down" });
    const downAt = tries(env.vault);
    await readUntil(() => servedBy.secondary >= 8, 10_000);
    // One failed call (the caller's own 2 retries of a connection failure: 3 requests), then the bench.
    expect(tries(env.vault) - downAt).toBeLessThanOrEqual(3);

    // Slow: the probe after the 5 s bench waits for requestTimeout, then the Get moves on.
    env.vault.setFault({ kind: "slow", delayMs: 5_000 });
    const slowAt = env.vault.requests.length;
    await readUntil(() => env.vault.requests.length > slowAt, 10_000);

    // Throttling: the probe after the 10 s bench gets a 429 with a Retry-After.
    env.vault.setFault({ kind: "status", status: 429, retryAfterSeconds: 1 });
    const throttleAt = env.vault.requests.length;
    await readUntil(() => env.vault.requests.length > throttleAt, 15_000);
    const throttledCalls = env.vault.requests.slice(throttleAt).filter((r) => r.status === 429).length;
    expect(throttledCalls).toBe(1);

    // Back: the probe after the 20 s bench answers, and the primary serves again.
    env.vault.setFault({ kind: "none" });
    const before = servedBy.primary;
    await readUntil(() => servedBy.primary > before + 2, 30_000);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(statuses.length).toBeGreaterThan(40);
    // Three failing probes (down with its retries, slow, throttled) for ~40 s of Gets every 250 ms.
    expect(env.vault.requests.filter((r) => r.status !== 200 && r.status !== 401).length).toBeLessThanOrEqual(
      5,
    );
    const lines = stack.keyless.lines.filter((l) => l.includes(`vault 127.0.0.1:${env.vault.port}`));
    expect(lines.filter((l) => l.includes("is failing; calls move on to"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("answers again; calls go to it first"))).toHaveLength(1);
    // Which vault served is counted per vault (the host is the label), never per secret.
    const scraped = (await call("GET", metricsUrl)).text;
    const count = (vault: string, outcome: string) =>
      Number(
        new RegExp(
          `keyless_failover_vault_calls_total\\{instance="kv-fo",vault="${vault.replace(/\./g, "\\.")}",outcome="${outcome}"\\} (\\d+)`,
        ).exec(scraped)?.[1] ?? 0,
      );
    const [p, s2] = [`127.0.0.1:${env.vault.port}`, `127.0.0.1:${secondary.port}`];
    expect(count(p, "broken")).toBe(3);
    expect(count(s2, "ok")).toBe(servedBy.secondary);
    expect(count(p, "ok")).toBe(servedBy.primary);
    for (const v of [...Object.values(primaryValues), ...Object.values(secondaryValues)]) {
      expect(stack.keyless.lines.join("\n")).not.toContain(v);
    }
  });

  it("with production cache values: cached secrets answer from memory, new names from the secondary", async () => {
    expect((await get("kv-fo-prod", "fo-prod")).value).toBe(primaryValues["fo-prod"]);
    env.vault.setFault({ kind: "down" });
    const primaryBefore = tries(env.vault);
    const secondaryBefore = reached(secondary);
    for (let i = 0; i < 5; i++)
      expect((await get("kv-fo-prod", "fo-prod")).value).toBe(primaryValues["fo-prod"]);
    for (const n of ["fo-new-1", "fo-new-2", "fo-new-3"]) {
      expect((await get("kv-fo-prod", n)).value).toBe(secondaryValues[n]);
    }
    env.vault.setFault({ kind: "none" });
    // The cached value needed no vault; the first new name found the primary down, the others skipped it.
    expect(tries(env.vault) - primaryBefore).toBeLessThanOrEqual(3);
    expect(reached(secondary) - secondaryBefore).toBe(3);
  });

  it("a 404 on the primary does not fail over, and a 403 there surfaces", async () => {
    secondary.setSecret({ name: "only-in-secondary", value: canary("only-secondary") });
    const missing = await get("kv-fo", "only-in-secondary");
    expect(missing.status).toBe(500);
    expect(missing.value).toContain("not found");
    env.vault.grant(app.objectId, ["fo-secret"]);
    const r = await get("kv-fo", "fo-new-1");
    env.vault.grant(app.objectId, "*");
    expect(r.status).toBe(500);
    expect(r.value).toContain("HTTP 403");
  });
});
