/**
 * Key Vault certificates through the Dapr secrets API, through a real daprd and the real SecretClient
 * against the vault stand-in: a certificate's secret (PKCS#12 or PEM, as Key Vault keeps it) answers as
 * tls.crt / tls.key / ca.crt in multi-valued mode, and as its raw value otherwise; bundles keyless cannot
 * use get an error naming the secret and the reason, and no key ever reaches a log or an answer it was
 * not asked for. The material is made with openssl in the test.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertificates } from "../helpers/certificates.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { call } from "../helpers/http.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { canary, recordCanaries } from "../helpers/suiteRecord.js";
import { startStack, type Stack } from "./fixture.js";

const PFX = "application/x-pkcs12";
const PEM = "application/x-pem-file";

describe("Key Vault certificates through daprd", () => {
  const app = makeIdentity("certs-app");
  const m = makeCertificates("e2e-certs");
  const plain = canary("plain-secret");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let stack: Stack;
  const get = async (store: string, name: string) => {
    const r = await call("GET", `${stack.daprd.http}/v1.0/secrets/${store}/${name}`);
    return { status: r.status, json: r.json as Record<string, string>, text: r.text };
  };
  /** A line of each private key's base64 body: must never appear in keyless's log or in an error. */
  const keyLines = [m.leafKeyPem, m.read("ec.key")].map((k) => k.split("\n")[1]!);

  beforeAll(async () => {
    recordCanaries(keyLines);
    env = await startStandIns({
      identities: [app],
      secrets: [
        { name: "tls-pfx", value: m.pfxBase64("modern.pfx"), contentType: PFX },
        { name: "tls-legacy", value: m.pfxBase64("legacy.pfx"), contentType: PFX },
        {
          name: "tls-pem",
          value: m.leafPem + m.read("leaf.pkcs1.key") + m.intermediatePem + m.rootPem,
          contentType: PEM,
        },
        { name: "tls-ec", value: m.pfxBase64("ec.pfx"), contentType: PFX },
        { name: "tls-password", value: m.pfxBase64("password.pfx"), contentType: PFX },
        { name: "tls-nokey", value: m.pfxBase64("nokey.pfx"), contentType: PFX },
        { name: "tls-expired", value: m.pfxBase64("expired.pfx"), contentType: PFX },
        { name: "tls-garbage", value: Buffer.from("not a pfx").toString("base64"), contentType: PFX },
        { name: "plain", value: plain },
      ],
      access: { [app.objectId]: "*" },
    });
    const store = (name: string, meta: Record<string, string>) =>
      componentYaml(name, "secretstores.keyless", {
        vaultUri: env.vault.url,
        azureClientId: app.clientId,
        ...meta,
      });
    stack = await startStack({
      tag: "certs",
      components: [],
      keylessEnv: env.identity.env(),
      extra: {
        "kv-certs.yaml": store("kv-certs", { multiValued: "true" }),
        "kv-raw.yaml": store("kv-raw", {}),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  it("answers a PKCS#12 certificate as tls.crt (leaf, then intermediate), tls.key (PKCS#8) and ca.crt", async () => {
    for (const name of ["tls-pfx", "tls-legacy", "tls-pem"]) {
      const r = await get("kv-certs", name);
      expect(r.status, name).toBe(200);
      expect(Object.keys(r.json).sort(), name).toEqual(["ca.crt", "tls.crt", "tls.key"]);
      const chain = r.json["tls.crt"]!.match(
        /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
      )!;
      expect(
        chain.map((c) => new X509Certificate(c).subject),
        name,
      ).toEqual(["CN=app.example.com", "CN=keyless test intermediate"]);
      expect(new X509Certificate(r.json["ca.crt"]!).subject).toBe("CN=keyless test root");
      expect(r.json["tls.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(new X509Certificate(chain[0]!).checkPrivateKey(createPrivateKey(r.json["tls.key"]!))).toBe(true);
    }
  });

  it("answers an EC certificate, and plain secrets as before, in the same store", async () => {
    const ec = await get("kv-certs", "tls-ec");
    expect(Object.keys(ec.json).sort()).toEqual(["tls.crt", "tls.key"]);
    expect(createPrivateKey(ec.json["tls.key"]!).asymmetricKeyType).toBe("ec");
    expect((await get("kv-certs", "plain")).json).toEqual({ plain });
  });

  it("without multiValued, answers the certificate's raw value, as Key Vault holds it", async () => {
    expect((await get("kv-raw", "tls-pfx")).json).toEqual({ "tls-pfx": m.pfxBase64("modern.pfx") });
  });

  it("refuses a password-protected, keyless, expired or malformed bundle, naming the secret and the reason", async () => {
    const cases: [string, RegExp][] = [
      ["tls-password", /protected by a password/],
      ["tls-nokey", /holds no private key/],
      ["tls-expired", /expired on 2020-01-02/],
      ["tls-garbage", /not a readable PKCS#12/],
    ];
    for (const [name, reason] of cases) {
      const r = await get("kv-certs", name);
      expect(r.status, name).toBe(500);
      const message = (r.json as { message?: string }).message ?? "";
      expect(message, name).toContain(`failed for secret "${name}": the certificate cannot be used: `);
      expect(message, name).toMatch(reason);
      for (const line of keyLines) expect(message).not.toContain(line);
    }
  });

  it("never writes a private key to the log", async () => {
    const log = stack.keyless.lines.join("\n");
    for (const line of keyLines) expect(log).not.toContain(line);
  });
});
