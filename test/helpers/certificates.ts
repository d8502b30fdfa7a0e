/**
 * Certificate material made with the openssl CLI, as an operator would make it before importing it into
 * Key Vault: a root CA, an intermediate, an RSA leaf issued by the intermediate, an EC self-signed
 * certificate, and an already expired leaf (openssl ca with explicit dates). Bundles are PKCS#12 in
 * openssl 3's default encryption (AES-256, PBKDF2, HMAC-SHA256) and in -legacy (3DES / RC2, SHA-1, as
 * older tools and many Key Vault imports have it), and PEM text with key and chain.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTmpDir } from "./tmp.js";

export interface CertificateMaterial {
  dir: string;
  read(file: string): string;
  /** A PKCS#12 file as Key Vault's secret holds it: base64. */
  pfxBase64(file: string): string;
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  leafKeyPem: string;
}

export function makeCertificates(tag = "certs"): CertificateMaterial {
  const dir = makeTmpDir(tag).dir;
  const ssl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const file = (name: string, text: string) => writeFileSync(path.join(dir, name), text);
  file("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  file("leaf.ext", "basicConstraints=CA:FALSE\nsubjectAltName=DNS:app.example.com\n");
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "root.key",
    "-out",
    "root.crt",
    "-days",
    "3650",
    "-subj",
    "/CN=keyless test root",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "int.key",
    "-out",
    "int.csr",
    "-subj",
    "/CN=keyless test intermediate",
  );
  ssl(
    "x509",
    "-req",
    "-in",
    "int.csr",
    "-CA",
    "root.crt",
    "-CAkey",
    "root.key",
    "-CAcreateserial",
    "-out",
    "int.crt",
    "-days",
    "3650",
    "-extfile",
    "ca.ext",
  );
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    "/CN=app.example.com",
  );
  ssl(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "int.crt",
    "-CAkey",
    "int.key",
    "-CAcreateserial",
    "-out",
    "leaf.crt",
    "-days",
    "365",
    "-extfile",
    "leaf.ext",
  );
  // The bundle as a CA hands it over: leaf, then chain in any order.
  file("chain.crt", read("root.crt") + read("int.crt"));
  ssl(
    "pkcs12",
    "-export",
    "-inkey",
    "leaf.key",
    "-in",
    "leaf.crt",
    "-certfile",
    "chain.crt",
    "-passout",
    "pass:",
    "-out",
    "modern.pfx",
  );
  ssl(
    "pkcs12",
    "-export",
    "-legacy",
    "-inkey",
    "leaf.key",
    "-in",
    "leaf.crt",
    "-certfile",
    "chain.crt",
    "-passout",
    "pass:",
    "-out",
    "legacy.pfx",
  );
  ssl(
    "pkcs12",
    "-export",
    "-inkey",
    "leaf.key",
    "-in",
    "leaf.crt",
    "-passout",
    "pass:hunter2",
    "-out",
    "password.pfx",
  );
  ssl("pkcs12", "-export", "-nokeys", "-in", "leaf.crt", "-passout", "pass:", "-out", "nokey.pfx");
  ssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
  ssl("req", "-x509", "-key", "ec.key", "-out", "ec.crt", "-days", "30", "-subj", "/CN=ec.example.com");
  ssl("pkcs12", "-export", "-inkey", "ec.key", "-in", "ec.crt", "-passout", "pass:", "-out", "ec.pfx");
  // PKCS#1 ("RSA PRIVATE KEY"), as older tools write it, and a password-protected PKCS#8.
  ssl("rsa", "-in", "leaf.key", "-traditional", "-out", "leaf.pkcs1.key");
  ssl("pkcs8", "-topk8", "-in", "leaf.key", "-passout", "pass:hunter2", "-out", "leaf.encrypted.key");
  // An expired leaf: openssl ca takes explicit dates.
  file("index.txt", "");
  file("serial", "1000\n");
  file(
    "ca.cnf",
    "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n",
  );
  ssl(
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200102000000Z",
    "-in",
    "leaf.csr",
    "-out",
    "expired.crt",
    "-keyfile",
    "int.key",
    "-cert",
    "int.crt",
    "-notext",
  );
  ssl(
    "pkcs12",
    "-export",
    "-inkey",
    "leaf.key",
    "-in",
    "expired.crt",
    "-passout",
    "pass:",
    "-out",
    "expired.pfx",
  );
  function read(name: string): string {
    return readFileSync(path.join(dir, name), "utf8");
  }
  return {
    dir,
    read,
    pfxBase64: (name) => readFileSync(path.join(dir, name)).toString("base64"),
    rootPem: read("root.crt"),
    intermediatePem: read("int.crt"),
    leafPem: read("leaf.crt"),
    leafKeyPem: read("leaf.key"),
  };
}
