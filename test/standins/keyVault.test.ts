/** The Key Vault stand-in as the real SecretClient sees it (HTTPS, challenge auth, per-identity access). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { makeIdentity, scrubAzureEnv, startStandIns } from "../helpers/standins.js";

describe("Key Vault stand-in", () => {
  const reader = makeIdentity("reader");
  const limited = makeIdentity("limited");
  const outsider = makeIdentity("outsider");
  const lister = makeIdentity("lister");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  const client = (who: { clientId: string }, maxRetries = 0) =>
    new SecretClient(env.vault.url, new ManagedIdentityCredential({ clientId: who.clientId }), {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries },
    });

  beforeAll(async () => {
    scrubAzureEnv();
    env = await startStandIns({
      identities: [reader, limited, outsider, lister],
      secrets: [
        { name: "db-password", value: "v1" },
        { name: "api-key", value: "k", contentType: "text/plain" },
        { name: "old", value: "o", enabled: false },
        ...Array.from({ length: 30 }, (_, i) => ({ name: `bulk-${i}`, value: `b${i}` })),
      ],
      access: { [reader.objectId]: "*", [limited.objectId]: ["api-key"], [lister.objectId]: "metadata" },
    });
    Object.assign(process.env, env.identity.env());
  });
  afterAll(async () => env?.close());

  it("answers the challenge, then serves the latest version and a named version", async () => {
    const c = client(reader);
    const v2 = env.vault.setSecret({ name: "db-password", value: "v2" });
    const latest = await c.getSecret("db-password");
    expect(latest.value).toBe("v2");
    expect(latest.properties.version).toBe(v2);
    expect(latest.properties.vaultUrl).toBe(env.vault.url);
    const versions: string[] = [];
    for await (const p of c.listPropertiesOfSecretVersions("db-password")) versions.push(p.version!);
    expect(versions).toHaveLength(2);
    const first = await c.getSecret("db-password", { version: versions.find((v) => v !== v2)! });
    expect(first.value).toBe("v1");
    expect(env.vault.requests[0]).toMatchObject({ status: 401 });
    expect(env.identity.requests.at(-1)).toMatchObject({ resource: "https://vault.azure.net", status: 200 });
  });

  it("pages lists with maxresults and nextLink", async () => {
    const pages: number[] = [];
    for await (const page of client(reader).listPropertiesOfSecrets().byPage({ maxPageSize: 10 }))
      pages.push(page.length);
    expect(pages).toEqual([10, 10, 10, 3]);
  });

  it("writes secrets with the SDK", async () => {
    const c = client(reader);
    await c.setSecret("written", "w", { contentType: "text/plain" });
    expect((await c.getSecret("written")).value).toBe("w");
  });

  it("answers 403 ForbiddenByRbac to an identity without access, 403 SecretDisabled, and 404", async () => {
    await expect(client(outsider).getSecret("db-password")).rejects.toMatchObject({
      statusCode: 403,
      code: "Forbidden",
    });
    await expect(client(limited).getSecret("db-password")).rejects.toMatchObject({ statusCode: 403 });
    expect((await client(limited).getSecret("api-key")).value).toBe("k");
    await expect(client(reader).getSecret("old")).rejects.toMatchObject({
      statusCode: 403,
      code: "Forbidden",
    });
    await expect(client(reader).getSecret("missing")).rejects.toMatchObject({
      statusCode: 404,
      code: "SecretNotFound",
    });
  });

  it("lets a metadata-only identity (Key Vault Reader) list every secret and read none", async () => {
    const listed: string[] = [];
    for await (const p of client(lister).listPropertiesOfSecrets()) listed.push(p.name);
    expect(listed).toContain("db-password");
    expect(listed).toContain("old");
    expect(listed.length).toBeGreaterThanOrEqual(33);
    await expect(client(lister).getSecret("api-key")).rejects.toMatchObject({
      statusCode: 403,
      code: "Forbidden",
      details: { error: { innerError: { code: "ForbiddenByRbac" } } },
    });
    await expect(client(outsider).listPropertiesOfSecrets().next()).rejects.toMatchObject({
      statusCode: 403,
    });
  });

  it("injects throttling with Retry-After and outages", async () => {
    const c = client(reader);
    await c.getSecret("api-key");
    env.vault.setFault({ kind: "status", status: 429, retryAfterSeconds: 1 });
    await expect(c.getSecret("api-key")).rejects.toMatchObject({ statusCode: 429, code: "Throttled" });
    env.vault.setFault({ kind: "down" });
    await expect(c.getSecret("api-key")).rejects.toThrow();
    env.vault.setFault({ kind: "none" });
    expect((await c.getSecret("api-key")).value).toBe("k");
  });
});
