/**
 * The README's main command, end to end: the dev loop brings up the stand-ins, Azurite, keyless, daprd and
 * the queuereader sample; a message posted to the sample is processed and its state stored through
 * keyless, with the queue connection string read from Key Vault through secretstores.keyless.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { daprdPath, REPO_ROOT } from "../helpers/paths.js";
import { freePort } from "../helpers/ports.js";
import { recordOutput } from "../helpers/suiteRecord.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

const PORT_VARS = [
  "KEYLESS_DEV_IDENTITY_PORT",
  "KEYLESS_DEV_VAULT_PORT",
  "AZURITE_BLOB_PORT",
  "AZURITE_QUEUE_PORT",
  "AZURITE_TABLE_PORT",
  "DAPR_HTTP_PORT",
  "DAPR_GRPC_PORT",
  "DAPR_METRICS_PORT",
  "DAPR_INTERNAL_GRPC_PORT",
  "APP_PORT",
];

/** A free port for every port the dev loop opens: the defaults may be held by other tests' daprds. */
async function freeDevPorts(): Promise<Record<string, string>> {
  const ports: Record<string, string> = {};
  for (const n of PORT_VARS) ports[n] = String(await freePort());
  return ports;
}

describe("the dev loop (scripts/run.sh)", () => {
  const tmp = makeTmpDir("loop");
  let proc: ChildProcess;
  const out: string[] = [];
  let appPort: number;
  let exited: Promise<void>;

  beforeAll(async () => {
    const ports = await freeDevPorts();
    appPort = Number(ports.APP_PORT);
    // The repo's components/ point at the default vault port; use a copy that points at this run's.
    const components = path.join(tmp.dir, "components");
    cpSync(path.join(REPO_ROOT, "components"), components, { recursive: true });
    const ss = path.join(components, "secretstore.yaml");
    writeFileSync(
      ss,
      readFileSync(ss, "utf8").replace(
        "https://127.0.0.1:8443",
        `https://127.0.0.1:${ports.KEYLESS_DEV_VAULT_PORT}`,
      ),
    );
    proc = spawn(process.execPath, [path.join(REPO_ROOT, "dist/dev/devLoop.js")], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        ...ports,
        KEYLESS_DAPRD: daprdPath(),
        KEYLESS_DATA_DIR: path.join(tmp.dir, "data"),
        DAPR_COMPONENTS_SOCKETS_FOLDER: path.join(tmp.dir, "sock"),
        KEYLESS_DEV_COMPONENTS: components,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (c: Buffer) => out.push(...c.toString("utf8").split("\n"));
    proc.stdout!.on("data", collect);
    proc.stderr!.on("data", collect);
    exited = new Promise((r) => proc.once("exit", () => r()));
    await waitFor(
      "the dev loop to come up",
      () => {
        if (proc.exitCode !== null) throw new Error(`dev loop exited:\n${out.join("\n")}`);
        return out.some((l) => l.includes("keyless dev loop is up")) ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
  }, 120_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill("SIGTERM");
    await exited;
    tmp.cleanup();
  });

  it("processes a posted message and shows it in /stats", async () => {
    const posted = await fetch(`http://127.0.0.1:${appPort}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "hello from the dev loop test" }),
    });
    expect(posted.status).toBe(202);
    const { messageId } = (await posted.json()) as { messageId: string };
    const stats = await waitFor(
      "the message to be processed",
      async () => {
        const s = (await (await fetch(`http://127.0.0.1:${appPort}/stats`)).json()) as {
          processed: number;
          lastMessage?: { messageId: string; text: string };
        };
        return s.processed >= 1 ? s : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(stats.lastMessage).toMatchObject({ messageId, text: "hello from the dev loop test" });
    expect(out.join("\n")).toContain("connection string from secretstore");
  });

  it("prints a doctor command that works from another shell while the loop runs", () => {
    const line = out.find((l) => l.includes("dist/src/main.js doctor"));
    expect(line).toBeDefined();
    const doctor = spawnSync("bash", ["-c", line!.trim()], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
      encoding: "utf8",
      timeout: 60_000,
    });
    // The line runs through bash, so not through helpers/doctor.ts: its output is recorded here instead.
    recordOutput(
      "doctor",
      [doctor.stdout, doctor.stderr].filter((s) => s !== ""),
    );
    expect(doctor.stdout + doctor.stderr).not.toContain("[FAIL]");
    expect(doctor.status).toBe(0);
  }, 70_000);

  it("stops everything on SIGTERM, after keyless read the queue connection from the vault", async () => {
    proc.kill("SIGTERM");
    await exited;
    const text = out.join("\n");
    expect(text).toMatch(/Key Vault stand-in served: \d+ secret reads \([^)]*queue-connection/);
    expect(text).toContain("[keyless-dev] stopped");
  });
});

describe("the dev loop with a port already taken", () => {
  it("stops at once naming the port and the variable that moves it", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, "dist/dev/devLoop.js")], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        // Only APP_PORT is taken; every other port is free, so the message names exactly one.
        ...(await freeDevPorts()),
        APP_PORT: String(port),
        KEYLESS_DAPRD: "/nonexistent/daprd",
        KEYLESS_DATA_DIR: path.join(REPO_ROOT, ".test-tmp/loop-port"),
      },
      encoding: "utf8",
      timeout: 20_000,
    });
    taken.close();
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`port already in use: ${port} (APP_PORT)`);
    // "At once": it stopped before starting anything, not after a slow step timed out.
    expect(run.stdout).not.toMatch(/\[[3-6]\/6\]/);
  });
});
