/**
 * A throw-away certificate authority and a server certificate for the local stand-ins (Key Vault over
 * HTTPS, Azurite). Generated with the openssl CLI into a folder of the caller's choosing and reused while
 * the files exist. Clients trust the CA through NODE_EXTRA_CA_CERTS (Node) or SSL_CERT_FILE (Go); nothing
 * ever turns TLS verification off.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface TestTls {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const SANS = [
  "IP:127.0.0.1",
  "IP:::1",
  "DNS:localhost",
  "DNS:*.vault.azure.net",
  "DNS:*.table.core.windows.net",
  "DNS:*.queue.core.windows.net",
  "DNS:*.blob.core.windows.net",
  // Only for the test that routes Entra's instance-discovery host to the Entra ID stand-in.
  "DNS:login.microsoftonline.com",
];

/** @param extraSans more subject alternative names, e.g. ["DNS:standins"] for a compose network. */
export function ensureTestTls(dir: string, extraSans: string[] = []): TestTls {
  mkdirSync(dir, { recursive: true });
  const sans = [...SANS, ...extraSans];
  const caFile = path.join(dir, "ca.pem");
  const caKey = path.join(dir, "ca.key");
  const certFile = path.join(dir, "server.pem");
  const keyFile = path.join(dir, "server.key");
  const sansFile = path.join(dir, "sans.txt");
  const sameSans = existsSync(sansFile) && readFileSync(sansFile, "utf8") === sans.join(",");
  if (!sameSans || !existsSync(caFile) || !existsSync(certFile) || !existsSync(keyFile)) {
    const run = (args: string[]) => {
      try {
        execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
        if (err.code === "ENOENT") {
          throw new Error(
            "the openssl command is needed to create the stand-ins' test certificates; install openssl",
            { cause: e },
          );
        }
        throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString() ?? err.message}`, { cause: e });
      }
    };
    run([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      caKey,
      "-out",
      caFile,
      "-days",
      "3650",
      "-subj",
      "/CN=keyless test CA (local stand-ins only)",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      path.join(dir, "server.csr"),
      "-subj",
      "/CN=localhost",
    ]);
    writeFileSync(
      path.join(dir, "server.ext"),
      `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(",")}\n`,
    );
    run([
      "x509",
      "-req",
      "-in",
      path.join(dir, "server.csr"),
      "-CA",
      caFile,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-out",
      certFile,
      "-days",
      "3650",
      "-extfile",
      path.join(dir, "server.ext"),
    ]);
    // Written only after a regeneration: rewriting it on every call let a concurrent test worker read it
    // half-written, regenerate the CA and break every client that already trusted the previous one.
    writeFileSync(sansFile, sans.join(","));
  }
  return {
    dir,
    caFile,
    certFile,
    keyFile,
    ca: readFileSync(caFile),
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
  };
}
