/**
 * The secret cache in time, through a real daprd against the Key Vault stand-in: a vault that stays
 * down for many seconds, with staleIfError 0 and 5 s, and a vault slower than daprd's Resiliency timeout.
 * Every answer is recorded with when its request started and ended, so the bounds are checked against
 * the clock the values were fetched on, not against sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { componentYaml } from "../helpers/componentYaml.js";
import { call } from "../helpers/http.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { canary } from "../helpers/suiteRecord.js";
import { startStack, type Stack } from "./fixture.js";

const RESILIENCY = `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: keyless-secret-timeouts
spec:
  policies:
    timeouts:
      short: 500ms
  targets:
    components:
      kv-slow:
        outbound:
          timeout: short
`;

interface Answer {
  start: number;
  end: number;
  status: number;
}

describe("the secret cache through a long Key Vault outage, through daprd", () => {
  const app = makeIdentity("outage-app");
  const values = {
    short: canary("outage-short"),
    stale: canary("outage-stale"),
    slow: canary("outage-slow"),
  };
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let stack: Stack;
  let api: string;

  const get = async (store: string, name: string): Promise<Answer> => {
    const start = Date.now();
    const r = await call("GET", `${api}/secrets/${store}/${name}`);
    return { start, end: Date.now(), status: r.status };
  };
  /** Authenticated GETs of `name` that reached the vault (the SDK's first, token-less probe is a 401). */
  const vaultGets = (name: string) =>
    env.vault.requests.filter((r) => r.op === "get" && r.name === name && r.status !== 401).length;
  /** One Get each second for `seconds`, starting half a second after `from`. */
  const everySecond = async (store: string, name: string, from: number, seconds: number) => {
    const answers: Answer[] = [];
    for (let i = 0; i < seconds; i++) {
      const due = from + 500 + i * 1_000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      answers.push(await get(store, name));
    }
    return answers;
  };
  const statuses = (answers: Answer[]) => answers.map((a) => a.status);

  beforeAll(async () => {
    env = await startStandIns({
      identities: [app],
      secrets: [
        { name: "short-secret", value: values.short },
        { name: "stale-secret", value: values.stale },
        { name: "slow-secret", value: values.slow },
      ],
      access: { [app.objectId]: ["short-secret", "stale-secret", "slow-secret"] },
    });
    const store = (name: string, meta: Record<string, string>) =>
      componentYaml(name, "secretstores.keyless", {
        vaultUri: env.vault.url,
        azureClientId: app.clientId,
        ...meta,
      });
    stack = await startStack({
      tag: "outage",
      components: [],
      keylessEnv: env.identity.env(),
      extra: {
        "kv-short.yaml": store("kv-short", { cacheTTL: "2s", staleIfError: "0s" }),
        "kv-stale.yaml": store("kv-stale", { cacheTTL: "2s", staleIfError: "5s" }),
        // Production cache values; the vault is slower than daprd's 500 ms Resiliency timeout.
        "kv-slow.yaml": store("kv-slow", {}),
        "resiliency.yaml": RESILIENCY,
      },
    });
    api = `${stack.daprd.http}/v1.0`;
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  it("cacheTTL 2s, staleIfError 0s: the error from the end of the TTL on, never the old value again, and a vault call per backoff step", async () => {
    const first = await get("kv-short", "short-secret");
    expect(first.status).toBe(200);
    env.vault.setGetFault({ kind: "status", status: 503 }, ["short-secret"]);
    const before = vaultGets("short-secret");
    const answers = await everySecond("kv-short", "short-secret", first.end, 12);
    env.vault.setGetFault({ kind: "none" });
    for (const a of answers) {
      if (a.status === 200) expect(a.start).toBeLessThan(first.end + 2_000);
      else expect(a.end).toBeGreaterThanOrEqual(first.start + 2_000);
    }
    // No flip-flop: once the error, always the error.
    const firstError = statuses(answers).indexOf(500);
    expect(firstError).toBeGreaterThan(0);
    expect(
      statuses(answers)
        .slice(firstError)
        .every((s) => s === 500),
    ).toBe(true);
    // Backoff 1, 2, 4, 8 s (+ up to 25 %) from the first failure: at most 4 failed calls in the ~10 s after
    // the TTL ends, each with the caller's own 2 retries of a 503 (3 requests), instead of one a second.
    expect(vaultGets("short-secret") - before).toBeLessThanOrEqual(4 * 3);
    expect(
      stack.keyless.lines.filter((l) => l.includes("secret short-secret: serving a cached value")),
    ).toEqual([]);
  });

  it("cacheTTL 2s, staleIfError 5s: the old value until 7 s, then the error; one warning when it starts and one when it ends", async () => {
    const first = await get("kv-stale", "stale-secret");
    expect(first.status).toBe(200);
    env.vault.setGetFault({ kind: "status", status: 503 }, ["stale-secret"]);
    const answers = await everySecond("kv-stale", "stale-secret", first.end, 10);
    env.vault.setGetFault({ kind: "none" });
    for (const a of answers) {
      if (a.status === 200) expect(a.start).toBeLessThan(first.end + 7_000);
      else expect(a.end).toBeGreaterThanOrEqual(first.start + 7_000);
    }
    const firstError = statuses(answers).indexOf(500);
    expect(firstError).toBeGreaterThan(4);
    expect(
      statuses(answers)
        .slice(firstError)
        .every((s) => s === 500),
    ).toBe(true);
    const mine = stack.keyless.lines.filter((l) => l.includes('"secretName":"stale-secret"'));
    expect(
      mine.filter((l) => l.includes("serving a cached value past its TTL; the source is failing")),
    ).toHaveLength(1);
    expect(mine.filter((l) => l.includes("stopped serving a cached value past its TTL"))).toHaveLength(1);
  });

  it("a vault slower than daprd's Resiliency timeout: each Get times out at daprd, and the timed-out Gets share one vault call", async () => {
    env.vault.setGetFault({ kind: "slow", delayMs: 4_000 }, ["slow-secret"]);
    const before = vaultGets("slow-secret");
    const answers: Answer[] = [];
    for (let i = 0; i < 5; i++) answers.push(await get("kv-slow", "slow-secret"));
    // daprd gives up on each at its 500 ms timeout (and retries none of them: no retry policy).
    for (const a of answers) {
      expect(a.status).toBe(500);
      expect(a.end - a.start).toBeLessThan(2_000);
    }
    // daprd 1.18.3 does not cancel the call it gave up on (pluggable-components spec, 4.9), so keyless
    // still waits for the vault, but every Get joins the one call in flight: nothing piles up.
    expect(vaultGets("slow-secret") - before).toBeLessThanOrEqual(1);
    env.vault.setGetFault({ kind: "none" });
  });

  it("never writes a secret value to a log line", () => {
    const lines = [...stack.keyless.lines, ...stack.daprd.lines];
    expect(lines.length).toBeGreaterThan(5);
    for (const v of Object.values(values)) expect(lines.some((l) => l.includes(v))).toBe(false);
  });
});
