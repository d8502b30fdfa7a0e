/** Certificate bundles made with openssl, split into tls.crt / tls.key / ca.crt, and the bundles that cannot be. */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CertificateProblem,
  certificateParts,
} from "../../../../../../src/secrets/sources/keyvault/certificates/certificateParts.js";
import { isCertificateContentType } from "../../../../../../src/secrets/sources/keyvault/certificates/contentTypes.js";
import { makeCertificates, type CertificateMaterial } from "../../../../../helpers/certificates.js";

const PFX = "application/x-pkcs12";
const PEM = "application/x-pem-file";
const NOW = Date.now();

const blocks = (pem: string) =>
  pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
const same = (a: string, b: string) =>
  new X509Certificate(a).fingerprint256 === new X509Certificate(b).fingerprint256;

function problemOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CertificateProblem);
    return (e as CertificateProblem).reason;
  }
  throw new Error("no problem raised");
}

describe("certificateParts", () => {
  let m: CertificateMaterial;
  beforeAll(() => {
    m = makeCertificates();
  });

  const expectChainParts = (parts: Readonly<Record<string, string>>) => {
    expect(Object.keys(parts).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    const chain = blocks(parts["tls.crt"]!);
    expect(chain).toHaveLength(2);
    expect(same(chain[0]!, m.leafPem)).toBe(true);
    expect(same(chain[1]!, m.intermediatePem)).toBe(true);
    expect(blocks(parts["ca.crt"]!)).toHaveLength(1);
    expect(same(parts["ca.crt"]!, m.rootPem)).toBe(true);
    expect(parts["tls.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(parts["tls.key"]!);
    expect(new X509Certificate(chain[0]!).checkPrivateKey(key)).toBe(true);
    // The chain verifies link by link.
    expect(new X509Certificate(chain[0]!).verify(new X509Certificate(chain[1]!).publicKey)).toBe(true);
    expect(new X509Certificate(chain[1]!).verify(new X509Certificate(parts["ca.crt"]!).publicKey)).toBe(true);
  };

  it("splits a PKCS#12 in openssl 3's default encryption (AES-256, PBKDF2)", () => {
    expectChainParts(certificateParts(PFX, m.pfxBase64("modern.pfx"), NOW));
  });

  it("splits a legacy PKCS#12 (3DES / RC2, SHA-1 MAC)", () => {
    expectChainParts(certificateParts(PFX, m.pfxBase64("legacy.pfx"), NOW));
  });

  it("splits a PEM bundle in any order, with a PKCS#1 key, into the same parts (key as PKCS#8)", () => {
    const bundle = m.rootPem + m.read("leaf.pkcs1.key") + m.intermediatePem + m.leafPem;
    expect(m.read("leaf.pkcs1.key")).toContain("BEGIN RSA PRIVATE KEY");
    expectChainParts(certificateParts(PEM, bundle, NOW));
  });

  it("reads an EC key (which node-forge leaves undecoded) and a self-signed leaf without ca.crt", () => {
    const parts = certificateParts(PFX, m.pfxBase64("ec.pfx"), NOW);
    expect(Object.keys(parts).sort()).toEqual(["tls.crt", "tls.key"]);
    expect(createPrivateKey(parts["tls.key"]!).asymmetricKeyType).toBe("ec");
    expect(same(parts["tls.crt"]!, m.read("ec.crt"))).toBe(true);
  });

  it("refuses what it cannot use, saying why, never with the key's bytes", () => {
    const keyLine = m.leafKeyPem.split("\n")[1]!;
    const cases: [string, () => unknown, RegExp][] = [
      [
        "password PFX",
        () => certificateParts(PFX, m.pfxBase64("password.pfx"), NOW),
        /protected by a password/,
      ],
      [
        "malformed PFX",
        () => certificateParts(PFX, Buffer.from("not a pfx at all").toString("base64"), NOW),
        /not a readable PKCS#12/,
      ],
      ["empty PFX", () => certificateParts(PFX, "", NOW), /not base64/],
      ["PFX without key", () => certificateParts(PFX, m.pfxBase64("nokey.pfx"), NOW), /holds no private key/],
      [
        "expired",
        () => certificateParts(PFX, m.pfxBase64("expired.pfx"), NOW),
        /expired on 2020-01-02T00:00:00.000Z/,
      ],
      [
        "PEM without key",
        () => certificateParts(PEM, m.leafPem + m.intermediatePem, NOW),
        /holds no private key/,
      ],
      [
        "encrypted PEM key",
        () => certificateParts(PEM, m.leafPem + m.read("leaf.encrypted.key"), NOW),
        /protected by a password/,
      ],
      [
        "key of another certificate",
        () => certificateParts(PEM, m.rootPem + m.leafKeyPem, NOW),
        /matches its private key/,
      ],
      ["no PEM", () => certificateParts(PEM, "hello", NOW), /no PEM block/],
      ["PEM key only", () => certificateParts(PEM, m.leafKeyPem, NOW), /no certificate/],
      [
        "broken PEM certificate",
        () =>
          certificateParts(
            PEM,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" + m.leafKeyPem,
            NOW,
          ),
        /not a readable certificate/,
      ],
    ];
    for (const [label, f, reason] of cases) {
      const r = problemOf(f);
      expect(r, label).toMatch(reason);
      expect(r, label).not.toContain(keyLine);
    }
  });

  it("a certificate valid now is refused once the clock passes its notAfter", () => {
    const notAfter = Date.parse(new X509Certificate(m.read("ec.crt")).validTo);
    expect(() => certificateParts(PFX, m.pfxBase64("ec.pfx"), notAfter - 1)).not.toThrow();
    expect(problemOf(() => certificateParts(PFX, m.pfxBase64("ec.pfx"), notAfter))).toMatch(/expired on/);
  });

  it("knows Key Vault's certificate content types, with parameters and in any case", () => {
    expect(isCertificateContentType("application/x-pkcs12")).toBe(true);
    expect(isCertificateContentType("Application/X-PEM-File; charset=utf-8")).toBe(true);
    expect(isCertificateContentType("text/plain")).toBe(false);
    expect(isCertificateContentType(undefined)).toBe(false);
  });
});
