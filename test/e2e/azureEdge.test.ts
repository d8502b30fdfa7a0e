/**
 * The Azure edge under faults, through a real daprd, the real Azure SDK clients, the stand-ins with
 * 24-hour managed-identity tokens (as MSAL caches real ones), and Azurite behind a fault proxy:
 * - a 401 gets a genuinely new token from the identity endpoint, once, for Key Vault and for Tables;
 *   a claims challenge is answered with a token requested with those claims;
 * - BulkGet answers a complete map or an error, never a partial map, and never caches a partial one;
 *   Retry-After holds for listings; every error names the secret asked for; an identity that may list
 *   the vault but read nothing gets the permission error, not an empty map.
 * Tests wait on events (requests the stand-ins recorded, log lines), not on sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "../../dev/faultProxy.js";
import { DEV_ACCOUNT, startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { componentYaml as yaml } from "../helpers/componentYaml.js";
import { call, stateApi } from "../helpers/http.js";
import { makeIdentity, startStandIns, testTls } from "../helpers/standins.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";

describe("the Azure edge under faults, through daprd", () => {
  const app = makeIdentity("edge-app");
  // Key Vault Reader without Key Vault Secrets User: sees every secret's metadata, reads no value.
  const lister = makeIdentity("edge-lister");
  const bulkNames = Array.from({ length: 11 }, (_, i) => `b-${String(i).padStart(2, "0")}`);
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let azurite: Azurite;
  let proxy: FaultProxy;
  let stack: Stack;
  let secrets: string;

  const minted = () =>
    env.identity.requests.filter((r) => r.identity === app.clientId && r.status === 200).length;
  const vaultGets = () => env.vault.requests.filter((r) => r.op === "get").length;

  beforeAll(async () => {
    env = await startStandIns({
      identities: [app, lister],
      secrets: [
        ...["r1", "r2", "r3", "r4"].map((n) => ({ name: n, value: `value-of-${n}-0123456789` })),
        ...bulkNames.map((n) => ({ name: n, value: `bulk-value-${n}-0123456789` })),
      ],
      access: { [app.objectId]: "*", [lister.objectId]: "metadata" },
    });
    azurite = await startTestAzurite();
    proxy = await startFaultProxy({ target: new URL(azurite.tableUrl).origin, tls: testTls() });
    stack = await startStack({
      tag: "edge",
      components: [],
      keylessEnv: env.identity.env(),
      extra: {
        // Production defaults: cacheTTL 5m, staleIfError 1h.
        "kv.yaml": yaml("kv", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
        }),
        // A second store with a short TTL, to see a stale list served while the vault fails.
        "kvshort.yaml": yaml("kvshort", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
          cacheTTL: "1s",
        }),
        "kvstale.yaml": yaml("kvstale", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
          cacheTTL: "1s",
        }),
        "kvlister.yaml": yaml("kvlister", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: lister.clientId,
        }),
        "tablesmi.yaml": yaml("tablesmi", "state.keyless", {
          backend: "tables",
          tableEndpoint: `${proxy.url}/${DEV_ACCOUNT}`,
          azureClientId: app.clientId,
        }),
      },
    });
    secrets = `${stack.daprd.http}/v1.0/secrets`;
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await azurite?.stop();
    await env?.close();
  });

  describe("a rejected token (point 1)", () => {
    it("Key Vault: after a 401 the retry uses a token the identity endpoint newly minted, and succeeds", async () => {
      expect((await call("GET", `${secrets}/kv/r1`)).json).toEqual({ r1: "value-of-r1-0123456789" });
      const before = minted();
      env.vault.revokeTokens(env.identity.issued);
      const r = await call("GET", `${secrets}/kv/r2`);
      expect(r.status).toBe(200);
      expect(minted()).toBe(before + 1);
      // The new token serves the next calls without more minting.
      expect((await call("GET", `${secrets}/kv/r3`)).status).toBe(200);
      expect(minted()).toBe(before + 1);
    });

    it("Key Vault: answers a claims challenge with a new token, and succeeds", async () => {
      const before = minted();
      const challenges = env.vault.claimsChallengesSent;
      env.vault.revokeTokens(env.identity.issued, '{"access_token":{"nbf":{"essential":true,"value":"1"}}}');
      expect((await call("GET", `${secrets}/kv/r4`)).status).toBe(200);
      expect(env.vault.claimsChallengesSent).toBeGreaterThan(challenges);
      expect(minted()).toBe(before + 1);
    });

    it("Tables with a managed identity: after a 401 the retry uses a newly minted token, and succeeds", async () => {
      const s = stateApi(stack.daprd.http, "tablesmi");
      expect((await s.save([{ key: "k1", value: 1 }])).status).toBe(204);
      const before = minted();
      proxy.revokeTokens(env.identity.issued);
      const refusals = proxy.revokedRefusals;
      expect((await s.save([{ key: "k2", value: 2 }])).status).toBe(204);
      expect(proxy.revokedRefusals).toBeGreaterThan(refusals);
      expect(minted()).toBe(before + 1);
      expect((await s.get("k2")).json).toBe(2);
    });

    it("Tables: reports a 401 on the retry naming the identity, after exactly one new token", async () => {
      const s = stateApi(stack.daprd.http, "tablesmi");
      const before = minted();
      proxy.refuseAllTokens(true);
      const r = await s.save([{ key: "k3", value: 3 }]);
      proxy.refuseAllTokens(false);
      expect(r.status).toBe(503);
      expect(r.text).toContain(app.clientId);
      expect(r.text).toContain("HTTP 401) even after a newly issued one");
      expect(minted()).toBe(before + 1);
    });

    it("reports a 401 on the retry naming the identity", async () => {
      env.vault.revokeTokensIssuedBefore(Math.floor(Date.now() / 1000) + 3600);
      const r = await call("GET", `${secrets}/kv/b-00`);
      env.vault.revokeTokensIssuedBefore(0);
      expect(r.status).toBe(500);
      expect(r.text).toContain(app.clientId);
      expect(r.text).toContain("HTTP 401) even after a newly issued one");
    });
  });

  describe("BulkGet (points 2 and 3)", () => {
    const bulk = (store: string) => call("GET", `${secrets}/${store}/bulk`);

    it("fails instead of answering a partial map while one secret's GET fails, and caches nothing partial", async () => {
      env.vault.setGetFault({ kind: "status", status: 503 }, ["b-07"]);
      const failed = await bulk("kv");
      expect(failed.status).toBe(500);
      expect(failed.text).toContain('secret \\"b-07\\"');
      expect(failed.text).toContain("HTTP 503");
      env.vault.setGetFault({ kind: "none" });
      // The vault recovered: the next BulkGet is complete (no partial list was cached).
      const ok = await bulk("kv");
      expect(ok.status).toBe(200);
      const got = ok.json as Record<string, Record<string, string>>;
      for (const n of bulkNames) expect(got[n]).toEqual({ [n]: `bulk-value-${n}-0123456789` });
    });

    it("holds a Retry-After for listings, and names the secret asked for while it waits", async () => {
      env.vault.setGetFault({ kind: "status", status: 429, retryAfterSeconds: 30 }, ["b-03"]);
      const throttled = await bulk("kvshort");
      expect(throttled.status).toBe(500);
      expect(throttled.text).toContain("HTTP 429, retry after 30s");
      const gets = vaultGets();
      const again = await bulk("kvshort");
      expect(again.status).toBe(500);
      expect(vaultGets()).toBe(gets); // the vault was not called inside the Retry-After window
      // A Get of another secret in that window names that secret, not b-03.
      const other = await call("GET", `${secrets}/kvshort/b-09`);
      expect(other.status).toBe(500);
      expect(other.text).toContain('secret \\"b-09\\"');
      expect(other.text).not.toContain("b-03");
      expect(other.text).toContain("retry after 30s");
      env.vault.setGetFault({ kind: "none" });
    });

    it("fails with the permission error when the identity lists every secret but reads none", async () => {
      const listings = env.vault.requests.filter((r) => r.op === "list").length;
      const r = await bulk("kvlister");
      expect(r.status).toBe(500);
      expect(env.vault.requests.filter((q) => q.op === "list").length).toBeGreaterThan(listings);
      // The first secret in listing order, the identity, and the role that would fix it.
      expect(r.text).toContain('secret \\"r1\\"');
      expect(r.text).toContain(lister.clientId);
      expect(r.text).toContain("HTTP 403 ForbiddenByRbac");
      expect(r.text).toContain("Key Vault Secrets User");
      expect(r.text).not.toContain("value-of-");
      // A single Get by the same identity says the same.
      const one = await call("GET", `${secrets}/kvlister/r2`);
      expect(one.status).toBe(500);
      expect(one.text).toContain("Key Vault Secrets User");
    });

    it("serves the last complete list within staleIfError, with a warning, while a GET fails", async () => {
      const complete = await bulk("kvstale");
      expect(complete.status).toBe(200);
      env.vault.setGetFault({ kind: "status", status: 503 }, ["b-05"]);
      // Wait for the event, not for a time: the first BulkGet after the 1 s TTL that met the failure.
      const stale = await waitFor(
        "keyless to serve the cached list with a warning",
        async () => {
          const r = await bulk("kvstale");
          if (r.status !== 200) throw new Error(`BulkGet answered ${r.status}: ${r.text}`);
          return stack.keyless.lines.some((l) => l.includes("serving a cached secret list")) ? r : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      env.vault.setGetFault({ kind: "none" });
      expect(stale.json).toEqual(complete.json);
    });
  });
});
