/**
 * Faults around keyless, through a real daprd: keyless killed with kill -9 during a write load, the token
 * endpoint down at start-up and later, Azurite stopped and restarted under the tables backend. Each time:
 * errors name their cause, no acknowledged write is lost, and service resumes by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { DEV_ACCOUNT, DEV_KEY, startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { call, stateApi } from "../helpers/http.js";
import { makeIdentity, startStandIns, testTls } from "../helpers/standins.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { startFaultProxy, type FaultProxy } from "../../dev/faultProxy.js";

const yaml = componentYaml;

describe("keyless killed with kill -9 during a write load", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ tag: "k9", components: ["statestore.yaml"] });
  });
  afterAll(async () => stack?.stop());

  it("loses no acknowledged write and resumes by itself", async () => {
    const s = stateApi(stack.daprd.http, "statestore");
    const acknowledged = new Map<string, number>();
    let running = true;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const key = `load-${w}-${i}`;
        const r = await s.save([{ key, value: i }]).catch(() => undefined);
        if (r?.status === 204) acknowledged.set(key, i);
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    // Kill while writes are being acknowledged, and stop once writes are acknowledged again after the
    // restart: both are events, not durations.
    const acked = (n: number) => async () => (acknowledged.size >= n ? true : undefined);
    await waitFor("writes to be acknowledged before the kill", acked(50), {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    await stack.restartKeyless("SIGKILL");
    const atRestart = acknowledged.size;
    await waitFor("writes to be acknowledged after the restart", acked(atRestart + 50), {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    running = false;
    await Promise.all(workers);

    expect(acknowledged.size).toBeGreaterThan(50);
    const keys = [...acknowledged.keys()];
    for (let i = 0; i < keys.length; i += 200) {
      const slice = keys.slice(i, i + 200);
      const res = await s.bulk(slice);
      // An error answer must fail here with its text, not as a TypeError on a body that is not a list.
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      const items = res.json as { key: string; data?: number }[];
      const lost = items.filter((it) => it.data !== acknowledged.get(it.key));
      expect(lost).toEqual([]);
    }
    // Writes after the restart went through: the tail of every worker was acknowledged.
    expect((await s.save([{ key: "after-kill", value: 1 }])).status).toBe(204);
  });
});

describe("the managed-identity endpoint down at start-up, and later", () => {
  const id = makeIdentity("flaky");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let stack: Stack;

  beforeAll(async () => {
    env = await startStandIns({
      identities: [id],
      secrets: [
        { name: "s1", value: "one" },
        { name: "s2", value: "two" },
      ],
      access: { [id.objectId]: "*" },
    });
    env.identity.setFault({ kind: "down" });
    stack = await startStack({
      tag: "mi",
      components: [],
      keylessEnv: env.identity.env(),
      extra: {
        "kv.yaml": yaml("kv", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: id.clientId,
        }),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  it("says the identity endpoint is unreachable, naming the identity, then recovers by itself", async () => {
    const api = `${stack.daprd.http}/v1.0/secrets/kv`;
    const down = await call("GET", `${api}/s1`);
    expect(down.status).toBe(500);
    expect(down.text).toContain("identity endpoint is unreachable");
    expect(down.text).toContain(id.clientId);
    env.identity.setFault({ kind: "none" });
    await waitFor(
      "secrets to be served",
      async () => ((await call("GET", `${api}/s1`)).status === 200 ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
  });

  it("keeps serving, uncached secrets too, while the endpoint is down after a token was issued", async () => {
    env.identity.setFault({ kind: "down" });
    const r = await call("GET", `${stack.daprd.http}/v1.0/secrets/kv/s2`);
    env.identity.setFault({ kind: "none" });
    expect(r.json).toEqual({ s2: "two" });
  });
});

describe("Azurite stopped and restarted under the tables backend", () => {
  let azurite: Azurite;
  let stack: Stack;
  const tmp = makeTmpDir("azr");
  let ports: { blob: number; queue: number; table: number };

  beforeAll(async () => {
    azurite = await startTestAzurite({ location: path.join(tmp.dir, "azurite") });
    const port = (u: string) => Number(new URL(u).port);
    ports = { blob: port(azurite.blobUrl), queue: port(azurite.queueUrl), table: port(azurite.tableUrl) };
    stack = await startStack({
      tag: "azr",
      components: [],
      extra: {
        "statestore.yaml": yaml("statestore", "state.keyless", {
          backend: "tables",
          tableEndpoint: azurite.tableUrl,
          accountName: DEV_ACCOUNT,
          accountKey: DEV_KEY,
          requestTimeout: "3s",
        }),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await azurite?.stop();
    tmp.cleanup();
  });

  it("answers 503 naming the cause while Azurite is down, and resumes when it returns", async () => {
    const s = stateApi(stack.daprd.http, "statestore");
    expect((await s.save([{ key: "before", value: 1 }])).status).toBe(204);
    await azurite.stop();
    const down = await s.save([{ key: "during", value: 2 }]);
    expect(down.status).toBe(503);
    expect(down.text).toMatch(/unreachable|busy or failing/);
    azurite = await startTestAzurite({ location: path.join(tmp.dir, "azurite"), ports });
    await waitFor(
      "writes to succeed again",
      async () => {
        const r = await s.save([{ key: "after", value: 3 }]);
        if (r.status !== 204) throw new Error(`${r.status} ${r.text}`);
        return true;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 300,
      },
    );
    expect((await s.get("before")).json).toBe(1);
    expect((await s.get("after")).json).toBe(3);
  });
});

describe("Azure Tables throttling (503 ServerBusy with Retry-After)", () => {
  let azurite: Azurite;
  let proxy: FaultProxy;
  let stack: Stack;

  beforeAll(async () => {
    azurite = await startTestAzurite();
    proxy = await startFaultProxy({ target: new URL(azurite.tableUrl).origin, tls: testTls() });
    stack = await startStack({
      tag: "thr",
      components: [],
      extra: {
        "statestore.yaml": yaml("statestore", "state.keyless", {
          backend: "tables",
          tableEndpoint: `${proxy.url}/${DEV_ACCOUNT}`,
          accountName: DEV_ACCOUNT,
          accountKey: DEV_KEY,
          requestTimeout: "20s",
        }),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await azurite?.stop();
  });

  it("retries a short burst of throttling with backoff and succeeds", async () => {
    const s = stateApi(stack.daprd.http, "statestore");
    proxy.fail({ status: 503, retryAfterSeconds: 1, count: 2 });
    const before = proxy.faulted;
    const from = proxy.log.length;
    expect((await s.save([{ key: "throttled", value: 1 }])).status).toBe(204);
    expect(proxy.faulted - before).toBe(2);
    // It waited as asked: each request after a throttled answer came at least Retry-After later
    // (read from the proxy's own record of the requests, not from a stopwatch around the call).
    const seen = proxy.log.slice(from);
    expect(seen.map((e) => e.faulted)).toEqual([true, true, false]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.at - seen[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    expect((await s.get("throttled")).json).toBe(1);
  });

  it("surfaces lasting throttling as HTTP 503 naming the cause, and recovers", async () => {
    const s = stateApi(stack.daprd.http, "statestore");
    proxy.fail({ status: 503, retryAfterSeconds: 0, count: Infinity });
    const r = await s.save([{ key: "throttled-2", value: 2 }]);
    proxy.clear();
    expect(r.status).toBe(503);
    expect(r.text).toContain("busy or failing (HTTP 503 ServerBusy)");
    expect((await s.save([{ key: "throttled-2", value: 2 }])).status).toBe(204);
  });
});
