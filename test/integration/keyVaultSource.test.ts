/** The keyvault source with the real SecretClient and ManagedIdentityCredential against the stand-ins. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { CredentialPool } from "../../src/identity/credentialPool.js";
import { createKeyVaultSource } from "../../src/secrets/sources/keyvault/keyVaultSource.js";
import { makeIdentity, scrubAzureEnv, startStandIns } from "../helpers/standins.js";

describe("keyvault source against the stand-ins", () => {
  const reader = makeIdentity("reader");
  const outsider = makeIdentity("outsider");
  const lister = makeIdentity("lister");
  const checker = makeIdentity("checker");
  const system = makeIdentity("sys", { systemAssigned: true });
  let env: Awaited<ReturnType<typeof startStandIns>>;
  const pool = new CredentialPool();
  const now = Math.floor(Date.now() / 1000);
  const source = (who: { clientId: string } | "system", timeoutMs = 5000) =>
    createKeyVaultSource({
      instance: "kv",
      vaultUrl: env.vault.url,
      credential: pool.get(
        who === "system"
          ? { kind: "managed", by: "system" }
          : { kind: "managed", by: "clientId", id: who.clientId },
      ),
      nameMapping: "dashes",
      timeoutMs,
      log: pino({ level: "silent" }),
    });

  beforeAll(async () => {
    scrubAzureEnv();
    env = await startStandIns({
      identities: [reader, outsider, lister, checker, system],
      secrets: [
        { name: "db-password", value: "pw" },
        { name: "disabled-one", value: "x", enabled: false },
        { name: "expired-one", value: "x", expiresOn: now - 60 },
        { name: "future-one", value: "x", notBefore: now + 3600 },
        ...Array.from({ length: 40 }, (_, i) => ({ name: `s${String(i).padStart(2, "0")}`, value: `v${i}` })),
      ],
      access: { [reader.objectId]: "*", [system.objectId]: ["db-password"], [lister.objectId]: "metadata" },
    });
    Object.assign(process.env, env.identity.env());
  });
  afterAll(async () => env?.close());

  it("reads a secret, maps _ and . to -, and answers undefined for a missing one", async () => {
    const s = source(reader);
    expect(await s.get("db-password")).toBe("pw");
    expect(await s.get("db_password")).toBe("pw");
    expect(await s.get("db.password")).toBe("pw");
    expect(await s.get("nope")).toBeUndefined();
  });

  it("never sends names Key Vault cannot hold, so path tricks stay out of URLs", async () => {
    const before = env.vault.requests.length;
    expect(await source(reader).get("../../secrets/db-password")).toBeUndefined();
    expect(await source(reader).get("a/b")).toBeUndefined();
    expect(env.vault.requests.length).toBe(before);
  });

  it("reads a named version", async () => {
    const v2 = env.vault.setSecret({ name: "rotating", value: "new" });
    const s = source(reader);
    expect(await s.get("rotating", { version: v2 })).toBe("new");
  });

  it("works with the system-assigned identity", async () => {
    expect(await source("system").get("db-password")).toBe("pw");
  });

  it("fails with a message naming the identity and the role to grant when access is denied", async () => {
    const err = await source(outsider)
      .get("db-password")
      .catch((e: Error) => e);
    expect(err).toMatchObject({ code: "SOURCE_FAILED", transient: false });
    expect((err as Error).message).toContain(outsider.clientId);
    expect((err as Error).message).toContain("Key Vault Secrets User");
    expect((err as Error).message).not.toContain("pw");
  });

  it("names the host and the fix when the SDK refuses the vault's challenge for a host outside Key Vault's domains", async () => {
    // A loopback vault normally skips the SDK's challenge-domain check; turning it back on shows through
    // the real SecretClient what a private-link host (x.privatelink.vaultcore.azure.net) gets.
    const checked = createKeyVaultSource({
      instance: "kv",
      vaultUrl: env.vault.url,
      credential: pool.get({ kind: "managed", by: "clientId", id: checker.clientId }),
      nameMapping: "dashes",
      timeoutMs: 5000,
      log: pino({ level: "silent" }),
      clientOptions: { disableChallengeResourceVerification: false },
    });
    const err = await checked.get("db-password").catch((e: Error) => e);
    expect(err).toMatchObject({ code: "SOURCE_FAILED", transient: false });
    const host = new URL(env.vault.url).hostname;
    expect((err as Error).message).toContain(`the vault URL's host ${host} is outside Key Vault's domains`);
    expect((err as Error).message).toContain("https://<vault-name>.vault.azure.net");
    expect((err as Error).message).not.toContain("pw");
    // Refused before any token was asked for.
    expect(env.identity.requests.filter((r) => r.identity === checker.clientId)).toEqual([]);
  });

  it("says a disabled secret is disabled", async () => {
    await expect(source(reader).get("disabled-one")).rejects.toThrow(/disabled/);
  });

  it("bulk-lists enabled, current secrets only, honouring maxResults exactly", async () => {
    const all = await source(reader).list();
    expect(all.has("disabled-one") || all.has("expired-one") || all.has("future-one")).toBe(false);
    expect(all.get("s39")).toBe("v39");
    const some = await source(reader).list({ maxResults: 27 });
    expect(some.size).toBe(27);
  });

  it("reports throttling with its Retry-After, outages as transient, and recovers", async () => {
    const s = source(reader, 1500);
    env.vault.setFault({ kind: "status", status: 429, retryAfterSeconds: 7 });
    await expect(s.get("db-password")).rejects.toMatchObject({ transient: true, retryAfterMs: 7000 });
    env.vault.setFault({ kind: "down" });
    await expect(s.get("db-password")).rejects.toMatchObject({
      transient: true,
      message: expect.stringMatching(/unreachable/),
    });
    env.vault.setFault({ kind: "slow", delayMs: 3000 });
    await expect(s.get("db-password")).rejects.toMatchObject({
      transient: true,
      message: expect.stringMatching(/no answer within 1500 ms/),
    });
    env.vault.setFault({ kind: "none" });
    expect(await s.get("db-password")).toBe("pw");
  });

  it("retries a passing 5xx, reports a lasting one, and treats 429 without Retry-After as a short wait", async () => {
    const s = source(reader, 3000);
    env.vault.setFault({ kind: "status", status: 503 });
    const before = env.vault.requests.length;
    await expect(s.get("db-password")).rejects.toMatchObject({
      transient: true,
      message: expect.stringContaining("HTTP 503"),
    });
    expect(env.vault.requests.length - before).toBe(3); // the first try and two retries
    env.vault.setFault({ kind: "status", status: 429 });
    await expect(s.get("db-password")).rejects.toMatchObject({ transient: true, retryAfterMs: 1000 });
    env.vault.setFault({ kind: "none" });
    expect(await s.get("db-password")).toBe("pw");
  });

  const rotatingSource = () => {
    const id = makeIdentity(`rotator-${Math.random().toString(36).slice(2, 8)}`);
    env.identity.identities.push(id);
    env.vault.grant(id.objectId, "*");
    return { id, s: source(id) };
  };
  const minted = (id: { clientId: string }) =>
    env.identity.requests.filter((r) => r.identity === id.clientId && r.status === 200).length;

  it("after a 401, retries once with a token the identity endpoint newly minted (24-hour tokens)", async () => {
    const { id, s } = rotatingSource();
    expect(await s.get("db-password")).toBe("pw");
    expect(minted(id)).toBe(1);
    // The token is valid for 24 hours and cached by MSAL process-wide: only a forced refresh gets a new one.
    env.vault.revokeTokens(env.identity.issued);
    expect(await s.get("db-password")).toBe("pw");
    expect(minted(id)).toBe(2);
    // And the new token is then used for later calls, without more minting.
    expect(await s.list()).toBeInstanceOf(Map);
    expect(minted(id)).toBe(2);
  });

  it("answers a claims challenge with a new token requested with those claims", async () => {
    const { id, s } = rotatingSource();
    expect(await s.get("db-password")).toBe("pw");
    const challenges = env.vault.claimsChallengesSent;
    env.vault.revokeTokens(env.identity.issued, '{"access_token":{"nbf":{"essential":true,"value":"1"}}}');
    expect(await s.get("db-password")).toBe("pw");
    expect(env.vault.claimsChallengesSent).toBeGreaterThan(challenges);
    expect(minted(id)).toBe(2);
  });

  it("reports a 401 on the retry naming the identity, after exactly one new token", async () => {
    const { id, s } = rotatingSource();
    expect(await s.get("db-password")).toBe("pw");
    env.vault.revokeTokensIssuedBefore(Math.floor(Date.now() / 1000) + 3600);
    const err = await s.get("db-password").catch((e: Error) => e);
    expect(err).toMatchObject({ code: "SOURCE_FAILED" });
    expect((err as Error).message).toContain(id.clientId);
    expect((err as Error).message).toMatch(/HTTP 401\) even after a newly issued one/);
    expect(minted(id)).toBe(2);
    env.vault.revokeTokensIssuedBefore(0);
  });

  describe("BulkGet", () => {
    const names = (m: Map<string, unknown>) => [...m.keys()];

    it("leaves out only secrets unreadable by design: disabled, expired, not yet valid, 403, deleted since listed", async () => {
      const s = source(system); // may read only db-password: every other GET is a 403 on that secret
      expect(names(await s.list())).toEqual(["db-password"]);
      env.vault.setGetFault({ kind: "status", status: 404, code: "SecretNotFound" }, ["s03"]);
      const all = await source(reader).list();
      env.vault.setGetFault({ kind: "none" });
      expect(all.has("s03")).toBe(false);
      expect(all.has("disabled-one") || all.has("expired-one") || all.has("future-one")).toBe(false);
      expect(["db-password", "s02", "s04", "s39"].every((n) => all.has(n))).toBe(true);
    });

    it("leaves out a secret whose GET a role would allow while others are readable (roles per secret)", async () => {
      env.vault.setGetFault({ kind: "status", status: 403, code: "Forbidden" }, ["s05"]);
      const all = await source(reader).list();
      env.vault.setGetFault({ kind: "none" });
      expect(all.has("s05")).toBe(false);
      expect(["db-password", "s04", "s06"].every((n) => all.has(n))).toBe(true);
    });

    it("answers an empty map when every listed secret is disabled (403 SecretDisabled on each GET)", async () => {
      env.vault.setGetFault({ kind: "status", status: 403, code: "SecretDisabled" });
      const all = await source(reader).list();
      env.vault.setGetFault({ kind: "none" });
      expect(all.size).toBe(0);
    });

    it("fails, naming the identity and the role, when the identity lists every secret but reads none", async () => {
      const err = await source(lister)
        .list()
        .catch((e: Error) => e);
      expect(err).toMatchObject({ code: "SOURCE_FAILED", transient: false });
      const message = (err as Error).message;
      // The first listed secret, whichever read finished first.
      expect(message).toContain('secret "db-password"');
      expect(message).toContain(lister.clientId);
      expect(message).toContain("HTTP 403 ForbiddenByRbac");
      expect(message).toContain("Key Vault Secrets User");
      expect(message).not.toContain("pw");
    });

    it.each([
      ["a 503", { kind: "status", status: 503 } as const, /HTTP 503/],
      [
        "a 429 with Retry-After",
        { kind: "status", status: 429, retryAfterSeconds: 9 } as const,
        /HTTP 429, retry after 9s/,
      ],
      ["a timeout", { kind: "slow", delayMs: 1500 } as const, /no answer within 800 ms/],
    ])(
      "fails on %s of one secret's GET instead of answering a partial map, naming that secret",
      async (_t, fault, text) => {
        env.vault.setGetFault(fault, ["s07"]);
        const err = await source(reader, 800)
          .list()
          .catch((e: Error) => e);
        env.vault.setGetFault({ kind: "none" });
        expect(err).toMatchObject({ code: "SOURCE_FAILED", transient: true });
        expect((err as Error).message).toContain('secret "s07"');
        expect((err as Error).message).toMatch(text);
      },
    );
  });
});
