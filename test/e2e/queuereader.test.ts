/**
 * The queuereader sample's delivery guarantee through real daprd, keyless and Azurite: killed between its
 * state write and the queue delete, it loses nothing and counts nothing twice. Also: reading the queue
 * with the app's managed identity instead of a connection string.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { QueueServiceClient } from "@azure/storage-queue";
import { makeIdentity, startIdentityStandIn, type IdentityStandIn } from "../../dev/identityStandIn.js";
import { startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { freePort } from "../helpers/ports.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";
import { componentYaml } from "../helpers/componentYaml.js";

interface Stats {
  processed: number;
  duplicates: number;
}

describe("queuereader through daprd and keyless", () => {
  let azurite: Azurite;
  let stack: Stack;
  let mi: IdentityStandIn;
  const app = makeIdentity("queuereader");
  let connectionString: string;

  beforeAll(async () => {
    azurite = await startTestAzurite();
    mi = await startIdentityStandIn({ identities: [app] });
    connectionString = azurite.connectionString;
    stack = await startStack({ tag: "qr", components: ["statestore.yaml"], extra: {} });
    const secrets = path.join(stack.tmp, "q-secrets.json");
    writeFileSync(secrets, JSON.stringify({ "queue-connection": connectionString }));
    // Added after start: daprd hot-reloads components, and keyless gets a fresh Init.
    writeFileSync(
      path.join(stack.tmp, "resources", "qsecrets.yaml"),
      componentYaml("qsecrets", "secretstores.keyless", { secretsFile: secrets }),
    );
    await waitFor("the hot-reloaded secret store", async () => {
      const r = await fetch(`${stack.daprd.http}/v1.0/secrets/qsecrets/queue-connection`);
      return r.status === 200 ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await azurite?.stop();
    await mi?.close();
  });

  async function startSample(env: Record<string, string>) {
    const port = await freePort();
    const proc: ChildProcess = spawn(
      process.execPath,
      [path.join(REPO_ROOT, "dist/samples/queuereader/src/main.js")],
      {
        env: {
          PATH: process.env.PATH ?? "",
          NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "",
          APP_PORT: String(port),
          DAPR_GRPC_PORT: String(stack.daprd.grpcPort),
          SECRET_STORE: "qsecrets",
          STATE_STORE: "statestore",
          VISIBILITY_TIMEOUT_SECONDS: "1",
          POLL_INTERVAL_MS: "100",
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const out: string[] = [];
    proc.stdout!.on("data", (c: Buffer) => out.push(c.toString()));
    proc.stderr!.on("data", (c: Buffer) => out.push(c.toString()));
    const exit = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    const stats = async () => (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as Stats;
    return { proc, out, exit, port, stats };
  }

  it("loses nothing and counts nothing twice when killed between the state write and the delete", async () => {
    const queueName = "crashtest";
    const queue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(queueName);
    await queue.createIfNotExists();
    await queue.sendMessage("exactly once, please");

    const crashing = await startSample({ QUEUE_NAME: queueName, QUEUEREADER_CRASH_AFTER_STATE_WRITE: "1" });
    expect(await crashing.exit).toBe(137);
    expect(crashing.out.join("")).toContain("crashing on purpose after recording");

    const sample = await startSample({ QUEUE_NAME: queueName });
    try {
      const stats = await waitFor(
        "the redelivered message to be seen as a duplicate",
        async () => {
          const s = await sample.stats().catch(() => undefined);
          return s && s.duplicates >= 1 ? s : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(stats).toMatchObject({ processed: 1, duplicates: 1 });
      await waitFor(
        "the queue to be empty",
        async () => {
          const props = await queue.getProperties();
          return props.approximateMessagesCount === 0 ? true : undefined;
        },
        { timeoutMs: 10_000 },
      );
    } finally {
      sample.proc.kill("SIGTERM");
      await sample.exit;
    }
  });

  it("reads the queue with its managed identity and shuts down gracefully", async () => {
    const sample = await startSample({
      ...mi.env(),
      QUEUE_AUTH: "identity",
      QUEUE_ENDPOINT: azurite.queueUrl,
      AZURE_CLIENT_ID: app.clientId,
      QUEUE_NAME: "identityqueue",
    });
    try {
      await waitFor(
        "the sample to listen",
        async () =>
          (await fetch(`http://127.0.0.1:${sample.port}/healthz`).catch(() => undefined))?.status === 200
            ? true
            : undefined,
        { timeoutMs: 20_000 },
      );
      const before = (await sample.stats()).processed;
      const posted = await fetch(`http://127.0.0.1:${sample.port}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "via identity" }),
      });
      expect(posted.status).toBe(202);
      const bad = await fetch(`http://127.0.0.1:${sample.port}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(bad.status).toBe(400);
      await waitFor(
        "processing",
        async () => ((await sample.stats()).processed >= before + 1 ? true : undefined),
        { timeoutMs: 20_000 },
      );
      expect(
        mi.requests.some((r) => r.identity === app.clientId && r.resource === "https://storage.azure.com"),
      ).toBe(true);
    } finally {
      sample.proc.kill("SIGTERM");
      expect(await sample.exit).toBe(0);
    }
  });
});
