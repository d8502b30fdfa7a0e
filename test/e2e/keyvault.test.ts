/**
 * secretstores.keyless with Key Vault, managed identities and Container Apps secrets, through a real
 * daprd, against the local stand-ins. Every seeded value is a canary: none may appear in any log line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { call, stateApi } from "../helpers/http.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { canary } from "../helpers/suiteRecord.js";

const secretStoreYaml = (name: string, meta: Record<string, string>) =>
  componentYaml(name, "secretstores.keyless", meta);

describe("Key Vault, managed identity and Container Apps secrets through daprd", () => {
  const orders = makeIdentity("orders");
  const billing = makeIdentity("billing");
  const system = makeIdentity("app-system", { systemAssigned: true });
  const values = {
    ordersDb: canary("orders"),
    billingDb: canary("billing"),
    shared: canary("shared"),
    layeredAca: canary("layered-aca"),
    layeredKv: canary("layered-kv"),
    layeredFile: canary("layered-file"),
    kvAndFileKv: canary("kvfile-kv"),
    kvAndFileFile: canary("kvfile-file"),
    fileOnly: canary("file-only"),
    deniedKv: canary("denied-kv"),
    deniedFile: canary("denied-file"),
    burst: canary("burst"),
  };
  const bulk = Array.from({ length: 100 }, (_, i) => ({ name: `bulk-${i}`, value: canary(`bulk${i}`) }));
  const tmp = makeTmpDir("kve");
  const sqlitePath = path.join(tmp.dir, "from-secret", "state.db");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let stack: Stack;
  let api: string;

  /** Every error answer any test saw: the canary check scans them as well as the logs. */
  const errorAnswers: string[] = [];
  const secret = async (store: string, name: string) => {
    const r = await call("GET", `${api}/secrets/${store}/${name}`);
    if (r.status !== 200) errorAnswers.push(r.text);
    return r;
  };
  const tokenRequests = (id: string) =>
    env.identity.requests.filter((r) => r.identity === id && r.status === 200).length;
  const authenticatedGets = (name: string) =>
    env.vault.requests.filter((r) => r.op === "get" && r.name === name && r.status !== 401).length;

  beforeAll(async () => {
    env = await startStandIns({
      identities: [orders, billing, system],
      secrets: [
        { name: "orders-db", value: values.ordersDb },
        { name: "billing-db", value: values.billingDb },
        { name: "shared-setting", value: values.shared },
        { name: "layered", value: values.layeredKv },
        { name: "kv-and-file", value: values.kvAndFileKv },
        { name: "burst-secret", value: values.burst },
        { name: "not-for-orders", value: values.deniedKv },
        { name: "sqlite-path", value: sqlitePath },
        ...bulk,
      ],
      access: {
        [orders.objectId]: [
          "orders-db",
          "shared-setting",
          "layered",
          "kv-and-file",
          "file-only",
          "burst-secret",
          "sqlite-path",
          ...bulk.map((b) => b.name),
        ],
        [billing.objectId]: ["billing-db", "shared-setting"],
        [system.objectId]: ["shared-setting"],
      },
    });
    const vol = path.join(tmp.dir, "aca-secrets");
    mkdirSync(vol);
    writeFileSync(path.join(vol, "layered"), values.layeredAca);
    writeFileSync(
      path.join(tmp.dir, "fallback.json"),
      JSON.stringify({
        layered: values.layeredFile,
        "kv-and-file": values.kvAndFileFile,
        "file-only": values.fileOnly,
        "not-for-orders": values.deniedFile,
      }),
    );
    const vaultUri = env.vault.url;
    stack = await startStack({
      tag: "kv",
      components: [],
      keylessEnv: env.identity.env(),
      extra: {
        "kv-orders.yaml": secretStoreYaml("kv-orders", { vaultUri, azureClientId: orders.clientId }),
        "kv-billing.yaml": secretStoreYaml("kv-billing", { vaultUri, azureClientId: billing.clientId }),
        "kv-system.yaml": secretStoreYaml("kv-system", { vaultUri }),
        "kv-stale.yaml": secretStoreYaml("kv-stale", {
          vaultUri,
          azureClientId: orders.clientId,
          cacheTTL: "500ms",
          staleIfError: "1h",
          requestTimeout: "2s",
        }),
        "chain.yaml": secretStoreYaml("chain", {
          sources: "containerapp,keyvault,file",
          secretsMountPath: vol,
          vaultUri,
          azureClientId: orders.clientId,
          secretsFile: path.join(tmp.dir, "fallback.json"),
        }),
        "state-from-secret.yaml": componentYaml(
          "state-from-secret",
          "state.keyless",
          { connectionString: { secretKeyRef: "sqlite-path" } },
          { secretStore: "kv-orders" },
        ),
      },
    });
    api = `${stack.daprd.http}/v1.0`;
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
    tmp.cleanup();
  });

  it("gives each instance its own identity: each sees only what its identity may read", async () => {
    expect((await secret("kv-orders", "orders-db")).json).toEqual({ "orders-db": values.ordersDb });
    expect((await secret("kv-billing", "billing-db")).json).toEqual({ "billing-db": values.billingDb });
    const denied = await secret("kv-orders", "billing-db");
    expect(denied.status).toBe(500);
    expect(denied.text).toContain("HTTP 403");
    expect(denied.text).toContain(orders.clientId);
    expect(denied.text).toContain("Key Vault Secrets User");
    const deniedToo = await secret("kv-billing", "orders-db");
    expect(deniedToo.text).toContain(billing.clientId);
  });

  it("works with the system-assigned identity", async () => {
    expect((await secret("kv-system", "shared-setting")).json).toEqual({ "shared-setting": values.shared });
    expect(env.identity.requests.some((r) => r.identity === "system" && r.status === 200)).toBe(true);
  });

  it("honours the chain order: Container Apps secret, then Key Vault, then the file", async () => {
    expect((await secret("chain", "layered")).json).toEqual({ layered: values.layeredAca });
    expect((await secret("chain", "kv-and-file")).json).toEqual({ "kv-and-file": values.kvAndFileKv });
    // The vault answers 404 for file-only, so the chain moves on to the file.
    expect((await secret("chain", "file-only")).json).toEqual({ "file-only": values.fileOnly });
  });

  it("stops the chain at a vault that refuses access instead of falling through to the file", async () => {
    const r = await secret("chain", "not-for-orders");
    expect(r.status).toBe(500);
    expect(r.text).toContain("HTTP 403");
    expect(r.text).not.toContain(values.deniedFile);
  });

  it("resolves a state store's connectionString through secretKeyRef into a keyless secret store", async () => {
    const s = stateApi(stack.daprd.http, "state-from-secret");
    expect((await s.save([{ key: "k", value: "v" }])).status).toBe(204);
    expect((await s.get("k")).json).toBe("v");
    expect(existsSync(sqlitePath)).toBe(true);
  });

  it("sends exactly one Key Vault request for a burst of 1000 concurrent Gets of an uncached secret", async () => {
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => secret("kv-orders", "burst-secret")),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(authenticatedGets("burst-secret")).toBe(1);
  });

  it("requests one token per identity while reading 100 different secrets", async () => {
    for (const b of bulk) expect((await secret("kv-orders", b.name)).status).toBe(200);
    expect(tokenRequests(orders.clientId)).toBe(1);
    expect(tokenRequests(billing.clientId)).toBe(1);
  });

  it("bulk-gets with an exact maxresults", async () => {
    const r = await call("GET", `${api}/secrets/kv-orders/bulk?metadata.maxresults=7`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json as object)).toHaveLength(7);
  });

  it("keeps serving cached values while Key Vault is down or throttling, and says what happened", async () => {
    expect((await secret("kv-stale", "shared-setting")).status).toBe(200);
    env.vault.setFault({ kind: "down" });
    // Wait for the event (the first Get past cacheTTL, within staleIfError), not for a time.
    await waitFor(
      "the cached value to be served past its TTL, with a warning",
      async () => {
        expect((await secret("kv-stale", "shared-setting")).json).toEqual({
          "shared-setting": values.shared,
        });
        return (
          stack.keyless.lines.some((l) => l.includes("serving a cached value past its TTL")) || undefined
        );
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const uncached = await secret("kv-stale", "orders-db");
    expect(uncached.status).toBe(500);
    expect(uncached.text).toMatch(/unreachable/);

    env.vault.setFault({ kind: "status", status: 429, retryAfterSeconds: 30 });
    expect((await secret("kv-stale", "shared-setting")).json).toEqual({ "shared-setting": values.shared });
    const throttled = await secret("kv-stale", "kv-and-file");
    expect(throttled.text).toMatch(/throttling requests \(HTTP 429, retry after 30s\)/);
    env.vault.setFault({ kind: "none" });
    expect(stack.keyless.lines.join("\n")).toContain("serving a cached value past its TTL");
  });

  it("never writes a secret value or a token to any log line or error answer", () => {
    const lines = [...stack.keyless.lines, ...stack.daprd.lines, ...errorAnswers];
    expect(lines.length).toBeGreaterThan(5);
    expect(errorAnswers.length).toBeGreaterThan(3);
    const canaries = [...Object.values(values), ...bulk.map((b) => b.value), ...env.identity.issued];
    const hits = canaries.filter((c) => lines.some((l) => l.includes(c)));
    expect(hits).toEqual([]);
  });

  it("cleans up", () => {
    rmSync(path.dirname(sqlitePath), { recursive: true, force: true });
  });
});
