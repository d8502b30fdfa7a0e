/**
 * A Key Vault certificate, read through its secret (Key Vault keeps the certificate with its key as a
 * secret of the same name: PKCS#12 base64 under `application/x-pkcs12`, or PEM text under
 * `application/x-pem-file`), split into the parts apps and Dapr components take:
 * - `tls.crt`: the leaf (the certificate whose public key matches the private key), then the rest of
 *   the chain in issuing order, PEM; a self-signed root in the bundle is left out of it;
 * - `tls.key`: the private key as PEM PKCS#8, whatever the bundle held (PKCS#1, SEC1, PKCS#8);
 * - `ca.crt`: the self-signed root(s) the bundle carries, when it carries any.
 * PKCS#12 is read by node-forge (loaded here only: this module is imported on the first certificate);
 * certificates and keys are checked and re-encoded by Node's own crypto. Errors say what is wrong
 * with the bundle and never hold its bytes or a library's message about them.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import forge from "node-forge";

import { PKCS12_CONTENT_TYPE } from "./contentTypes.js";

export type CertificateParts = Readonly<Record<string, string>>;

/** Why a bundle cannot be split; the caller words it for the instance and the secret. */
export class CertificateProblem extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "CertificateProblem";
  }
}

interface Bundle {
  key: KeyObject | undefined;
  certs: X509Certificate[];
}

/** The parts of a certificate bundle; throws CertificateProblem. */
export function certificateParts(contentType: string, value: string, now: number): CertificateParts {
  const pkcs12 = contentType.toLowerCase().startsWith(PKCS12_CONTENT_TYPE);
  const bundle = pkcs12 ? readPkcs12(value) : readPem(value);
  if (bundle.certs.length === 0) throw new CertificateProblem("the bundle holds no certificate");
  if (!bundle.key) {
    throw new CertificateProblem(
      "the bundle holds no private key (Key Vault keeps the key only when the certificate's policy marks it exportable)",
    );
  }
  const key = bundle.key;
  const leaf = bundle.certs.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw new CertificateProblem("no certificate in the bundle matches its private key");
  const notAfter = Date.parse(leaf.validTo);
  if (Number.isFinite(notAfter) && notAfter <= now) {
    throw new CertificateProblem(`the certificate expired on ${new Date(notAfter).toISOString()}`);
  }
  const others = bundle.certs.filter((c) => c !== leaf);
  const roots = others.filter(isSelfSigned);
  const chain = [
    leaf,
    ...issuingOrder(
      leaf,
      others.filter((c) => !isSelfSigned(c)),
    ),
  ];
  return {
    "tls.crt": chain.map((c) => c.toString()).join(""),
    "tls.key": key.export({ type: "pkcs8", format: "pem" }).toString(),
    ...(roots.length > 0 && { "ca.crt": roots.map((c) => c.toString()).join("") }),
  };
}

function isSelfSigned(c: X509Certificate): boolean {
  return c.ca && c.checkIssued(c);
}

/** From the leaf up: each certificate followed by the one that issued it; unrelated ones at the end. */
function issuingOrder(leaf: X509Certificate, intermediates: X509Certificate[]): X509Certificate[] {
  const left = [...intermediates];
  const out: X509Certificate[] = [];
  let cur = leaf;
  for (;;) {
    const i = left.findIndex((c) => cur.checkIssued(c));
    if (i < 0) break;
    cur = left.splice(i, 1)[0]!;
    out.push(cur);
  }
  return [...out, ...left];
}

function readPkcs12(value: string): Bundle {
  const bytes = Buffer.from(value.replace(/\s+/g, ""), "base64");
  if (bytes.length === 0) throw new CertificateProblem("the PKCS#12 value is not base64");
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString("binary")), false, "");
  } catch (e) {
    // forge throws strings and Errors alike; only whether it was the MAC is read from it.
    const text = e instanceof Error ? e.message : String(e);
    throw new CertificateProblem(
      /MAC could not be verified|Invalid password/i.test(text)
        ? "the PKCS#12 is protected by a password (Key Vault's own exports have none; import it without one)"
        : "the value is not a readable PKCS#12 (PFX)",
    );
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ??
      []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const keyBag = keyBags[0];
  try {
    return {
      key: keyBag ? createPrivateKey({ key: derOfKey(keyBag), format: "der", type: "pkcs8" }) : undefined,
      certs: certBags.map((b) => new X509Certificate(derOfCert(b))),
    };
  } catch (e) {
    if (e instanceof CertificateProblem) throw e;
    throw new CertificateProblem("the PKCS#12 holds a key or a certificate that cannot be read");
  }
}

/** The PrivateKeyInfo's DER: forge decodes RSA keys itself and keeps other kinds (EC) as ASN.1. */
function derOfKey(bag: forge.pkcs12.Bag): Buffer {
  const asn1 = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
  if (!asn1) throw new CertificateProblem("the PKCS#12 key bag is empty");
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

function derOfCert(bag: forge.pkcs12.Bag): Buffer {
  const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
  if (!asn1) throw new CertificateProblem("the PKCS#12 certificate bag is empty");
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?\r?\n-----END \1-----/g;

function readPem(value: string): Bundle {
  const blocks = [...value.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
  if (blocks.length === 0) throw new CertificateProblem("the value holds no PEM block");
  if (blocks.some((b) => b.label === "ENCRYPTED PRIVATE KEY")) {
    throw new CertificateProblem("the private key is protected by a password");
  }
  const keys = blocks.filter((b) => /^(?:RSA |EC )?PRIVATE KEY$/.test(b.label));
  const certs: X509Certificate[] = [];
  for (const b of blocks.filter((x) => x.label === "CERTIFICATE")) {
    try {
      certs.push(new X509Certificate(b.text));
    } catch {
      throw new CertificateProblem("a CERTIFICATE block is not a readable certificate");
    }
  }
  let key: KeyObject | undefined;
  if (keys[0]) {
    try {
      key = createPrivateKey(keys[0].text);
    } catch {
      throw new CertificateProblem("the PRIVATE KEY block is not a readable key");
    }
  }
  return { key, certs };
}
