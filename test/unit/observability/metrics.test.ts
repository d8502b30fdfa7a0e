import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { register } from "prom-client";
import { CredentialPool } from "../../../src/identity/credentialPool.js";
import { METRICS, metricsTableRows } from "../../../src/observability/metricCatalog.js";
import { MetricsHub, type Metrics } from "../../../src/observability/metrics.js";
import { readOpsConfig } from "../../../src/observability/opsConfig.js";
import { PromMetrics } from "../../../src/observability/promMetrics.js";
import { Readiness } from "../../../src/observability/readiness.js";

describe("ops listener settings", () => {
  it("listens on 0.0.0.0:9464 by default, so kubelet and Prometheus reach the sidecar", () => {
    expect(readOpsConfig({})).toEqual({
      enabled: true,
      port: 9464,
      address: "0.0.0.0",
      identityCheckMs: 300_000,
    });
  });
  it("is off with port 0 and takes an address", () => {
    expect(readOpsConfig({ KEYLESS_METRICS_PORT: "0" })).toEqual({ enabled: false });
    expect(readOpsConfig({ KEYLESS_METRICS_PORT: "9100", KEYLESS_METRICS_ADDRESS: "127.0.0.1" })).toEqual({
      enabled: true,
      port: 9100,
      address: "127.0.0.1",
      identityCheckMs: 300_000,
    });
  });
  it("refuses a bad port or address with a clear message", () => {
    expect(() => readOpsConfig({ KEYLESS_METRICS_PORT: "94x" })).toThrow(/KEYLESS_METRICS_PORT/);
    expect(() => readOpsConfig({ KEYLESS_METRICS_PORT: "70000" })).toThrow(/0-65535/);
    expect(() => readOpsConfig({ KEYLESS_METRICS_ADDRESS: "not an ip" })).toThrow(/KEYLESS_METRICS_ADDRESS/);
  });
});

describe("PromMetrics", () => {
  it("keeps its series in its own registry, never prom-client's global one", async () => {
    const a = new PromMetrics();
    const b = new PromMetrics();
    a.secretRequest("s", "env", "ok");
    expect(await a.registry.getSingleMetricAsString("keyless_secret_requests_total")).toContain(
      'keyless_secret_requests_total{instance="s",source="env",outcome="ok"} 1',
    );
    expect(await b.registry.getSingleMetricAsString("keyless_secret_requests_total")).not.toContain("} 1");
    expect(register.getMetricsAsArray()).toHaveLength(0);
  });

  it("shows seconds until the current token of each identity expires, by a fake clock", async () => {
    let now = 1_000_000;
    const m = new PromMetrics(() => now);
    m.tokenExpiry("mi:system", now + 24 * 3600_000);
    now += 3600_000;
    expect(await m.registry.getSingleMetricAsString("keyless_token_expiry_seconds")).toContain(
      'keyless_token_expiry_seconds{identity="mi:system"} 82800',
    );
  });

  it("every series name starts with keyless_", async () => {
    const m = new PromMetrics();
    for (const metric of m.registry.getMetricsAsArray()) expect(metric.name).toMatch(/^keyless_/);
  });
});

describe("MetricsHub", () => {
  it("asks for the registry on the first event only, and replays what came before it in order", async () => {
    const hub = new MetricsHub();
    let asked = 0;
    hub.whenNeeded(() => asked++);
    expect(asked).toBe(0);
    hub.tokenExpiry("mi:system", Date.now() + 60_000);
    hub.cache("s", "hit");
    expect(asked).toBe(1);
    const prom = new PromMetrics();
    hub.attach(prom);
    hub.cache("s", "miss");
    expect(asked).toBe(1);
    const text = await prom.registry.metrics();
    expect(text).toContain('keyless_token_expiry_seconds{identity="mi:system"}');
    expect(text).toContain('keyless_secret_cache_total{instance="s",result="hit"} 1');
    expect(text).toContain('keyless_secret_cache_total{instance="s",result="miss"} 1');
  });

  it("asks at once when events arrived before the loader was registered", () => {
    const hub = new MetricsHub();
    hub.instanceRestored("state");
    let asked = 0;
    hub.whenNeeded(() => asked++);
    expect(asked).toBe(1);
  });

  it("forwards every kind of event with its arguments, queued before attaching and direct after", () => {
    const recording = (into: string[]) =>
      new Proxy({} as Metrics, {
        get:
          (_t, name) =>
          (...args: unknown[]) =>
            into.push(`${String(name)}(${args.join(",")})`),
      });
    const calls: string[] = [];
    const send = (hub: Metrics, round: string) => {
      hub.secretRequest(`i${round}`, "keyvault", "ok");
      hub.cache(`i${round}`, "stale");
      hub.keyVaultCall(`i${round}`, "not_found");
      hub.keyVaultThrottled(`i${round}`, 1500);
      hub.retryAfterWait(`i${round}`);
      hub.tokenRequest(`mi${round}`, false);
      hub.tokenExpiry(`mi${round}`, 42);
      hub.bulkGetOmitted(`i${round}`, "disabled");
      hub.stateOperation(`i${round}`, "sqlite", "set", "ETAG_MISMATCH", 0.25);
      hub.instanceRestored(`state${round}`);
      hub.refreshAhead(`i${round}`, "error");
      hub.secretRotated(`i${round}`);
      hub.rotationEvent(`i${round}`, "SecretNewVersionCreated");
    };
    const hub = new MetricsHub();
    send(hub, "1");
    hub.attach(recording(calls));
    send(hub, "2");
    const expected = (round: string) => {
      const direct: string[] = [];
      send(recording(direct), round);
      return direct;
    };
    expect(calls).toEqual([...expected("1"), ...expected("2")]);
    expect(calls).toHaveLength(26);
  });

  it("drops every event and never asks when disabled (KEYLESS_METRICS_PORT=0)", () => {
    const hub = new MetricsHub({ disabled: true });
    let asked = 0;
    hub.whenNeeded(() => asked++);
    hub.cache("s", "hit");
    expect(asked).toBe(0);
  });
});

describe("Readiness", () => {
  it("asks the identity endpoint at most once per interval and names the identity that fails", async () => {
    let now = 0;
    let up = true;
    let calls = 0;
    const pool = new CredentialPool(() => ({
      getToken: async () => {
        calls++;
        if (!up) throw new Error("connect ECONNREFUSED");
        return { token: "t", expiresOnTimestamp: now + 24 * 3600_000 };
      },
    }));
    await pool.get({ kind: "managed", by: "system" }).getToken("https://vault.azure.net/.default");
    const failed = new Map<string, string>();
    const r = new Readiness({ failedInits: () => failed, credentials: pool }, () => now, 10_000);
    expect(await r.check()).toEqual({ ready: true, reasons: [] });
    up = false;
    expect((await r.check()).ready).toBe(true);
    now += 10_000;
    const down = await r.check();
    expect(down.ready).toBe(false);
    expect(down.reasons[0]).toMatch(/system-assigned.*cannot get a token/);
    expect(down.reasons[0]).not.toContain('"t"');
    failed.set("state/orders", "METADATA_INVALID");
    expect((await r.check()).reasons).toContain(
      "instance state/orders is not initialised: its last Init failed with METADATA_INVALID",
    );
    expect(calls).toBe(3);
  });
});

describe("Readiness with the production interval", () => {
  it("mints no token for kubelet probes every 10 s: the identity is asked again only after 5 minutes", async () => {
    let now = 0;
    let calls = 0;
    const pool = new CredentialPool(() => ({
      getToken: async () => {
        calls++;
        return { token: "t", expiresOnTimestamp: now + 24 * 3600_000 };
      },
    }));
    await pool.get({ kind: "managed", by: "system" }).getToken("https://vault.azure.net/.default");
    const r = new Readiness({ failedInits: () => new Map(), credentials: pool }, () => now);
    for (let i = 0; i < 30; i++, now += 10_000) expect((await r.check()).ready).toBe(true);
    // One request for the traffic and one for the first probe in 290 s of 10-second probes...
    expect(calls).toBe(2);
    // ...and the next one once 300 s have passed.
    expect(now).toBe(300_000);
    expect((await r.check()).ready).toBe(true);
    expect(calls).toBe(3);
  });

  it("reads the interval from KEYLESS_READINESS_IDENTITY_CHECK_SECONDS and refuses nonsense", () => {
    expect(readOpsConfig({})).toMatchObject({ identityCheckMs: 300_000 });
    expect(readOpsConfig({ KEYLESS_READINESS_IDENTITY_CHECK_SECONDS: "30" })).toMatchObject({
      identityCheckMs: 30_000,
    });
    expect(() => readOpsConfig({ KEYLESS_READINESS_IDENTITY_CHECK_SECONDS: "0" })).toThrow(
      /KEYLESS_READINESS_IDENTITY_CHECK_SECONDS must be a whole number of seconds/,
    );
  });
});

describe("README Metrics table", () => {
  it("documents every keyless_ series, by name and type", async () => {
    const { readFileSync } = await import("node:fs");
    const path = await import("node:path");
    const readme = readFileSync(path.join(import.meta.dirname, "../../../README.md"), "utf8");
    const all = await new PromMetrics().registry.getMetricsAsJSON();
    const own = all.filter((x) => !/^keyless_(process|nodejs)_/.test(x.name));
    expect(own.length).toBeGreaterThanOrEqual(15);
    for (const metric of own) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${metric.name}\` |`));
      expect(row, `README documents ${metric.name}`).toBeDefined();
      expect(row).toContain(`| ${String(metric.type)} |`);
    }
  });
});

describe("metric catalog: one declaration per series", () => {
  it("is what PromMetrics registers, name for name and type for type", async () => {
    const registered = (await new PromMetrics().registry.getMetricsAsJSON())
      .filter((s) => !/^keyless_(process|nodejs)_/.test(s.name))
      .map((s) => ({ name: s.name, type: String(s.type) }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(registered.sort(byName)).toEqual(
      Object.values(METRICS)
        .map((m) => ({ name: m.name, type: m.type }))
        .sort(byName),
    );
  });

  it("is the README's Metrics table, row for row", () => {
    const rows = readFileSync("README.md", "utf8")
      .split("\n")
      .filter((l) => /^\| `keyless_[a-z_]+` \|/.test(l));
    expect(rows).toEqual(metricsTableRows());
  });
});
