import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import { pino } from "pino";
import { Writable } from "node:stream";
import { CredentialPool } from "../../../src/identity/credentialPool.js";
import { startOpsServer, type OpsServer } from "../../../src/observability/healthServer.js";
import { MetricsHub } from "../../../src/observability/metrics.js";
import { startOpsListener } from "../../../src/observability/opsListener.js";

const servers: OpsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe("ops server", () => {
  it("answers /healthz, /readyz with reasons, 404 and 405", async () => {
    let serving = true;
    let reasons: string[] = [];
    const s = await startOpsServer(
      {
        metrics: async () => ({ contentType: "text/plain; version=0.0.4", body: "keyless_x 1\n" }),
        serving: async () => serving,
        readiness: async () => ({ ready: reasons.length === 0, reasons }),
      },
      { address: "127.0.0.1", port: 0 },
    );
    servers.push(s);
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toBe("keyless_x 1\n");
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    reasons = ["identity x cannot get a token (IDENTITY_UNREACHABLE)"];
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain("- identity x cannot get a token");
    serving = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("logs and carries on when its port is taken: keyless keeps serving daprd", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    const lines: string[] = [];
    const log = pino(
      new Writable({
        write(c: Buffer, _e, done) {
          lines.push(c.toString());
          done();
        },
      }),
    );
    const got = await startOpsListener({
      config: { enabled: true, port, address: "127.0.0.1", identityCheckMs: 300_000 },
      hub: new MetricsHub(),
      credentials: new CredentialPool(),
      failedInits: () => new Map(),
      serving: async () => true,
      log,
    });
    taken.close();
    expect(got).toBeUndefined();
    expect(lines.join("")).toContain("cannot start the metrics and health listener");
  });

  it("is not started with port 0", async () => {
    const got = await startOpsListener({
      config: { enabled: false },
      hub: new MetricsHub(),
      credentials: new CredentialPool(),
      failedInits: () => new Map(),
      serving: async () => true,
      log: pino({ level: "silent" }),
    });
    expect(got).toBeUndefined();
  });
});
