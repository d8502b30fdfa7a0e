/**
 * The metrics and health listener through a real daprd: counters and histograms move as Gets and state
 * operations go through daprd, /readyz follows the identity endpoint, and no scrape shows a value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, stateApi } from "../helpers/http.js";
import { freePort } from "../helpers/ports.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { waitFor } from "../helpers/wait.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { startStack, type Stack } from "./fixture.js";
import { canary as canaryValue } from "../helpers/suiteRecord.js";

const canary = canaryValue("ops");

/** The value of one series (labels in any order given as a subset), or 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

describe("metrics, /healthz and /readyz through daprd", () => {
  const app = makeIdentity("ops-app");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let stack: Stack;
  let ops: string;
  const scrape = async () => {
    const r = await fetch(`${ops}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/plain");
    return r.text();
  };

  beforeAll(async () => {
    env = await startStandIns({
      identities: [app],
      secrets: [
        { name: "db-password", value: canary },
        { name: "switched-off", value: `${canary}-off`, enabled: false },
      ],
      access: { [app.objectId]: "*" },
    });
    const port = await freePort();
    ops = `http://127.0.0.1:${port}`;
    stack = await startStack({
      tag: "ops",
      components: [],
      keylessEnv: {
        ...env.identity.env(),
        KEYLESS_METRICS_PORT: String(port),
        KEYLESS_METRICS_ADDRESS: "127.0.0.1",
        // Short, so the test sees /readyz follow the endpoint; the 5-minute default is tested with a fake clock.
        KEYLESS_READINESS_IDENTITY_CHECK_SECONDS: "5",
      },
      extra: {
        "kv.yaml": componentYaml("kv", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
        }),
        "state.yaml": componentYaml("opsstate", "state.keyless", {}),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  it("counts secret Gets, cache hits and misses, Key Vault calls and tokens, and never shows a value", async () => {
    const api = `${stack.daprd.http}/v1.0/secrets/kv`;
    expect((await call("GET", `${api}/db-password`)).status).toBe(200);
    expect((await call("GET", `${api}/db-password`)).status).toBe(200);
    expect((await call("GET", `${api}/no-such-secret`)).status).toBe(500);
    const text = await scrape();
    const source = `keyvault(${new URL(env.vault.url).host})`;
    expect(sample(text, "keyless_secret_requests_total", { instance: "kv", source, outcome: "ok" })).toBe(2);
    expect(sample(text, "keyless_secret_requests_total", { instance: "kv", outcome: "not_found" })).toBe(1);
    expect(sample(text, "keyless_secret_cache_total", { instance: "kv", result: "hit" })).toBe(1);
    expect(sample(text, "keyless_secret_cache_total", { instance: "kv", result: "miss" })).toBe(2);
    expect(sample(text, "keyless_keyvault_calls_total", { instance: "kv", outcome: "ok" })).toBe(1);
    expect(sample(text, "keyless_keyvault_calls_total", { instance: "kv", outcome: "not_found" })).toBe(1);
    const identity = `mi:clientId:${app.clientId.toLowerCase()}`;
    expect(sample(text, "keyless_token_requests_total", { identity, outcome: "ok" })).toBeGreaterThan(0);
    // A 24-hour managed-identity token: its expiry gauge shows nearly a day.
    expect(sample(text, "keyless_token_expiry_seconds", { identity })).toBeGreaterThan(23 * 3600);
    expect(text).not.toContain(canary);
    expect(text).not.toContain("db-password");
    for (const line of text.split("\n").filter((l) => l.startsWith("keyless_") || l.startsWith("# HELP"))) {
      expect(line.startsWith("keyless_") || line.startsWith("# HELP keyless_")).toBe(true);
    }
  });

  it("counts BulkGet omissions by reason, throttled answers and calls held back by Retry-After", async () => {
    const bulk = await call("GET", `${stack.daprd.http}/v1.0/secrets/kv/bulk`);
    expect(bulk.status).toBe(200);
    env.vault.setFault({ kind: "status", status: 429, retryAfterSeconds: 30 });
    try {
      expect((await call("GET", `${stack.daprd.http}/v1.0/secrets/kv/not-cached-1`)).status).toBe(500);
      expect((await call("GET", `${stack.daprd.http}/v1.0/secrets/kv/not-cached-2`)).status).toBe(500);
    } finally {
      env.vault.setFault({ kind: "none" });
    }
    const text = await scrape();
    expect(sample(text, "keyless_bulkget_omitted_total", { instance: "kv", reason: "disabled" })).toBe(1);
    expect(sample(text, "keyless_keyvault_throttled_total", { instance: "kv" })).toBe(1);
    expect(sample(text, "keyless_keyvault_retry_after_seconds_total", { instance: "kv" })).toBe(30);
    expect(sample(text, "keyless_keyvault_retry_after_waits_total", { instance: "kv" })).toBe(1);
    expect(sample(text, "keyless_secret_requests_total", { instance: "kv", outcome: "error" })).toBe(2);
    expect(text).not.toContain("switched-off");
    expect(text).not.toContain("not-cached");
  });

  it("counts and times state operations by instance, backend, operation and outcome", async () => {
    const s = stateApi(stack.daprd.http, "opsstate");
    expect((await s.save([{ key: "k", value: "v" }])).status).toBe(204);
    expect((await s.get("k")).json).toBe("v");
    const text = await scrape();
    const labels = { instance: "opsstate", backend: "sqlite" };
    expect(
      sample(text, "keyless_state_operations_total", { ...labels, operation: "set", outcome: "ok" }),
    ).toBe(1);
    expect(
      sample(text, "keyless_state_operations_total", { ...labels, operation: "get", outcome: "ok" }),
    ).toBe(1);
    expect(sample(text, "keyless_state_operation_seconds_count", { ...labels, operation: "get" })).toBe(1);
    expect(text).not.toMatch(/key="k"/);
  });

  it("answers /healthz while the socket is served, and /readyz follows the identity endpoint", async () => {
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
    env.identity.setFault({ kind: "down" });
    let body = "";
    await waitFor(
      "/readyz to turn not ready",
      async () => {
        const r = await fetch(`${ops}/readyz`);
        body = await r.text();
        return r.status === 503;
      },
      { timeoutMs: 60_000 },
    );
    expect(body).toContain(app.clientId);
    expect(body).toContain("cannot get a token");
    // Traffic still works on the cached token meanwhile.
    expect((await call("GET", `${stack.daprd.http}/v1.0/secrets/kv/db-password`)).status).toBe(200);
    env.identity.setFault({ kind: "none" });
    await waitFor("/readyz to turn ready again", async () => (await fetch(`${ops}/readyz`)).status === 200, {
      timeoutMs: 60_000,
    });
    for (const t of env.identity.issued) expect(body).not.toContain(t);
  });

  it("counts instances restored from saved Init metadata after a keyless restart", async () => {
    await stack.restartKeyless();
    await waitFor(
      "the listener after restart",
      async () => (await fetch(`${ops}/healthz`).catch(() => undefined))?.status === 200,
    );
    expect((await call("GET", `${stack.daprd.http}/v1.0/secrets/kv/db-password`)).status).toBe(200);
    const text = await scrape();
    expect(sample(text, "keyless_instances_restored_total", { category: "secretstores" })).toBe(1);
  });
});
