/**
 * The one-command local loop (scripts/run.sh): the managed-identity and Key Vault stand-ins seeded from
 * dev/seed.json, Azurite, keyless, a real daprd with components/, and the queuereader sample, each
 * started in order with progress output, and all stopped cleanly on Ctrl-C.
 *
 * Ports can be moved with environment variables (see README "The dev loop"); tests do that to run it
 * beside other suites.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startAzurite } from "./azurite.js";
import { startIdentityStandIn } from "./identityStandIn.js";
import { startKeyVaultStandIn } from "./keyVaultStandIn.js";
import { portsInUse } from "./portsInUse.js";
import { readSeed } from "./seed.js";
import { ensureTestTls } from "./tls.js";
import { waitFor } from "./wait.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = process.env;
const portVars: Record<string, number> = {};
const port = (name: string, dflt: number) => (portVars[name] = Number(env[name] ?? dflt));
const ports = {
  identity: port("KEYLESS_DEV_IDENTITY_PORT", 42356),
  vault: port("KEYLESS_DEV_VAULT_PORT", 8443),
  blob: port("AZURITE_BLOB_PORT", 10000),
  queue: port("AZURITE_QUEUE_PORT", 10001),
  table: port("AZURITE_TABLE_PORT", 10002),
  daprHttp: port("DAPR_HTTP_PORT", 3500),
  daprGrpc: port("DAPR_GRPC_PORT", 50001),
  daprMetrics: port("DAPR_METRICS_PORT", 9090),
  daprInternal: port("DAPR_INTERNAL_GRPC_PORT", 50002),
  app: port("APP_PORT", 3000),
};
const dataDir = path.resolve(env.KEYLESS_DATA_DIR ?? path.join(ROOT, ".data"));
const socketDir = path.resolve(env.DAPR_COMPONENTS_SOCKETS_FOLDER ?? "/tmp/keyless-dev-sockets");
const resourcesDir = path.resolve(env.KEYLESS_DEV_COMPONENTS ?? path.join(ROOT, "components"));
const cachedDaprd = path.join(
  env.KEYLESS_CACHE ?? path.join(os.homedir(), ".cache/keyless"),
  "daprd-1.18.3/daprd",
);
const daprd = env.KEYLESS_DAPRD ?? (existsSync(cachedDaprd) ? cachedDaprd : undefined);

const say = (m: string) => process.stdout.write(`[keyless-dev] ${m}\n`);
const children: { name: string; proc: ChildProcess }[] = [];
const closers: (() => Promise<void>)[] = [];

function start(name: string, cmd: string, args: string[], extraEnv: Record<string, string>, quiet = false) {
  const proc = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = (chunk: Buffer) => {
    if (quiet) return;
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean))
      process.stdout.write(`  ${name} | ${line}\n`);
  };
  proc.stdout!.on("data", prefix);
  proc.stderr!.on("data", prefix);
  proc.once("exit", (code, signal) => {
    if (!shuttingDown) {
      say(`${name} exited (${signal ?? code}); stopping the loop`);
      void shutdown(1);
    }
  });
  children.push({ name, proc });
  return proc;
}

const listening = (p: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(p, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

let shuttingDown = false;
let vaultReads: (() => string) | undefined;
async function shutdown(code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  say("stopping: sample, daprd, keyless, Azurite, stand-ins");
  for (const { proc } of [...children].reverse()) {
    if (proc.exitCode !== null || proc.signalCode !== null) continue;
    proc.kill("SIGTERM");
    await Promise.race([new Promise((r) => proc.once("exit", r)), new Promise((r) => setTimeout(r, 8000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  }
  if (vaultReads) say(`Key Vault stand-in served: ${vaultReads()}`);
  for (const close of closers.reverse()) await close().catch(() => undefined);
  rmSync(path.join(socketDir, "keyless.sock"), { force: true });
  say("stopped");
  process.exit(code);
}
process.once("SIGINT", () => void shutdown(0));
process.once("SIGTERM", () => void shutdown(0));

async function main() {
  const busy = await portsInUse(portVars);
  if (busy.length > 0)
    throw new Error(
      `port${busy.length > 1 ? "s" : ""} already in use: ${busy.join(", ")}; stop what uses ${busy.length > 1 ? "them" : "it"} or set the variable to a free port`,
    );
  if (!daprd)
    throw new Error(
      `no daprd at ${cachedDaprd} and KEYLESS_DAPRD is not set; run scripts/run.sh (or scripts/install-daprd.sh) first`,
    );
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(socketDir, { recursive: true });
  const seed = readSeed(path.join(ROOT, "dev/seed.json"));

  say("[1/6] test certificate authority for the stand-ins and Azurite");
  const tls = ensureTestTls(path.join(dataDir, "tls"));

  say(
    `[2/6] managed-identity stand-in on :${ports.identity}, Key Vault stand-in on :${ports.vault} (seed: dev/seed.json)`,
  );
  const identity = await startIdentityStandIn({
    identities: seed.identities,
    tenantId: seed.tenantId,
    port: ports.identity,
  });
  closers.push(() => identity.close());
  const vault = await startKeyVaultStandIn({
    tls,
    signer: identity.signer,
    tenantId: seed.tenantId,
    port: ports.vault,
    secrets: seed.vault.secrets,
    access: seed.vault.access,
  });
  closers.push(() => vault.close());
  vaultReads = () => {
    const ok = vault.requests.filter((r) => r.op === "get" && r.status === 200);
    const names = [...new Set(ok.map((r) => r.name))];
    return `${ok.length} secret reads (${names.join(", ") || "none"})`;
  };

  say(`[3/6] Azurite (HTTPS, OAuth) on :${ports.blob}/:${ports.queue}/:${ports.table}`);
  const azurite = await startAzurite({
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    ports: { blob: ports.blob, queue: ports.queue, table: ports.table },
  });
  closers.push(() => azurite.stop());
  // What an operator does in Azure: keep the queue's connection string in the vault.
  vault.setSecret({
    name: seed.queueConnectionSecret,
    value: azurite.connectionString,
  });

  const trust = { NODE_EXTRA_CA_CERTS: tls.caFile };
  say(`[4/6] keyless (socket ${socketDir}/keyless.sock, data ${dataDir})`);
  start("keyless", process.execPath, [path.join(ROOT, "dist/src/main.js"), "serve"], {
    ...trust,
    ...identity.env(),
    DAPR_COMPONENTS_SOCKETS_FOLDER: socketDir,
    KEYLESS_DATA_DIR: dataDir,
  });
  await waitFor(
    "keyless to listen",
    () =>
      new Promise<boolean | undefined>((resolve) => {
        const s = net.connect(path.join(socketDir, "keyless.sock"));
        s.once("connect", () => (s.destroy(), resolve(true)));
        s.once("error", () => resolve(undefined));
      }),
    { timeoutMs: 15_000 },
  );

  say(
    `[5/6] daprd on http://localhost:${ports.daprHttp} with ${path.relative(ROOT, resourcesDir) || resourcesDir}/`,
  );
  start(
    "daprd",
    daprd,
    [
      "--app-id",
      "queuereader",
      "--resources-path",
      resourcesDir,
      "--dapr-http-port",
      String(ports.daprHttp),
      "--dapr-grpc-port",
      String(ports.daprGrpc),
      "--metrics-port",
      String(ports.daprMetrics),
      "--dapr-internal-grpc-port",
      String(ports.daprInternal),
      "--dapr-listen-addresses",
      "127.0.0.1",
      "--log-level",
      "warn",
    ],
    { DAPR_COMPONENTS_SOCKETS_FOLDER: socketDir },
  );
  await waitFor(
    "daprd to report healthy",
    async () => {
      const r = await fetch(`http://127.0.0.1:${ports.daprHttp}/v1.0/healthz/outbound`).catch(
        () => undefined,
      );
      return r?.status === 204 ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );

  say(
    `[6/6] queuereader sample on http://localhost:${ports.app} (queue connection string from secretstores.keyless)`,
  );
  start("queuereader", process.execPath, [path.join(ROOT, "dist/samples/queuereader/src/main.js")], {
    ...trust,
    APP_PORT: String(ports.app),
    DAPR_GRPC_PORT: String(ports.daprGrpc),
    QUEUE_AUTH: "secret",
    SECRET_STORE: "secretstore",
    QUEUE_SECRET_NAME: seed.queueConnectionSecret,
    STATE_STORE: "statestore",
  });
  await waitFor("the sample to listen", async () => ((await listening(ports.app)) ? true : undefined), {
    timeoutMs: 30_000,
  });

  // doctor run from another shell needs the identity and CA keyless got (node --env-file is read too late
  // for NODE_EXTRA_CA_CERTS, hence a file for the shell); the header is a local stand-in's, not Azure's.
  const doctorEnv = path.join(dataDir, "dev-loop.env");
  writeFileSync(
    doctorEnv,
    Object.entries({ ...trust, ...identity.env() })
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(""),
    { mode: 0o600 },
  );
  const h = `http://localhost:${ports.daprHttp}/v1.0`;
  process.stdout.write(`
keyless dev loop is up. Try:

  curl -X POST http://localhost:${ports.app}/messages -H 'content-type: application/json' -d '{"text":"hello"}'
  curl http://localhost:${ports.app}/stats
  curl ${h}/secrets/secretstore/demo-greeting
  curl ${h}/secrets/localsecrets/bulk
  curl -X POST ${h}/state/statestore -H 'content-type: application/json' -d '[{"key":"greeting","value":{"hello":"world"}}]'
  curl -i ${h}/state/statestore/greeting
  (set -a; . ${path.relative(ROOT, doctorEnv) || doctorEnv}; node dist/src/main.js doctor --components ${path.relative(ROOT, resourcesDir) || resourcesDir})

Press Ctrl-C to stop everything.
`);
}

main().catch((e: unknown) => {
  say(`failed: ${(e as Error).message}`);
  void shutdown(1);
});
