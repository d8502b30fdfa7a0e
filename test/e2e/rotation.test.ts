/**
 * Key Vault rotation events through a real daprd: Event Grid's messages on an Azurite queue (base64, both
 * schemas), read with the instance's own managed identity, make keyless serve a new version within
 * 2 seconds with the default cacheTTL (5 minutes); junk never stops the reader; a queue that cannot be
 * read is a not-ready reason and a warning, never a crash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { runDoctor } from "../helpers/doctor.js";
import { canary } from "../helpers/suiteRecord.js";
import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";
import { call } from "../helpers/http.js";
import { freePort } from "../helpers/ports.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { waitFor } from "../helpers/wait.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { makeCertificates } from "../helpers/certificates.js";
import { startStack, type Stack } from "./fixture.js";
import { mkdirSync, writeFileSync } from "node:fs";

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64");

function keyVaultData(name: string, version: string, objectType = "Secret") {
  return {
    Id: `https://myvault.vault.azure.net/${objectType.toLowerCase()}s/${name}/${version}`,
    VaultName: "myvault",
    ObjectType: objectType,
    ObjectName: name,
    Version: version,
  };
}
const TOPIC = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/myvault";

/** As Event Grid writes an Event Grid schema event to a Storage Queue. */
const eventGrid = (type: string, name: string, version: string, objectType?: string) =>
  b64({
    id: randomUUID(),
    topic: TOPIC,
    subject: name,
    eventType: `Microsoft.KeyVault.${type}`,
    eventTime: new Date().toISOString(),
    data: keyVaultData(name, version, objectType),
    dataVersion: "1",
    metadataVersion: "1",
  });

/** As Event Grid writes a CloudEvents 1.0 event to a Storage Queue. */
const cloudEvent = (type: string, name: string, version: string) =>
  b64({
    specversion: "1.0",
    id: randomUUID(),
    source: TOPIC,
    subject: name,
    type: `Microsoft.KeyVault.${type}`,
    time: new Date().toISOString(),
    data: keyVaultData(name, version),
  });

describe("rotation events from a Storage Queue through daprd", () => {
  const app = makeIdentity("rotation-app");
  let env: Awaited<ReturnType<typeof startStandIns>>;
  let azurite: Azurite;
  let queue: QueueClient;
  let certQueue: QueueClient;
  const certs = makeCertificates("rotation-certs");
  let stack: Stack;
  let ops: string;
  const secretUrl = () => `${stack.daprd.http}/v1.0/secrets/kv/api-key`;
  const valueNow = async () => ((await call("GET", secretUrl())).json as Record<string, string>)["api-key"];

  beforeAll(async () => {
    env = await startStandIns({
      identities: [app],
      secrets: [
        { name: "api-key", value: canary("v1") },
        { name: "tls-cert", value: certs.pfxBase64("modern.pfx"), contentType: "application/x-pkcs12" },
      ],
      access: { [app.objectId]: "*" },
    });
    azurite = await startTestAzurite();
    queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient("kv-events");
    await queue.create();
    certQueue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
      "kv-cert-events",
    );
    await certQueue.create();
    const port = await freePort();
    ops = `http://127.0.0.1:${port}`;
    stack = await startStack({
      tag: "rotation",
      components: [],
      keylessEnv: {
        ...env.identity.env(),
        KEYLESS_METRICS_PORT: String(port),
        KEYLESS_METRICS_ADDRESS: "127.0.0.1",
      },
      extra: {
        // The default cacheTTL (5 minutes): only the event can explain a new value within 2 seconds.
        "kv.yaml": componentYaml("kv", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
          rotationQueue: "kv-events",
          rotationQueueEndpoint: azurite.queueUrl,
        }),
        "kv-certs.yaml": componentYaml("kv-certs", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
          multiValued: "true",
          rotationQueue: "kv-cert-events",
          rotationQueueEndpoint: azurite.queueUrl,
        }),
        "kv-missing-queue.yaml": componentYaml("kv-missing-queue", "secretstores.keyless", {
          vaultUri: env.vault.url,
          azureClientId: app.clientId,
          rotationQueue: "no-such-queue",
          rotationQueueEndpoint: azurite.queueUrl,
        }),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await azurite?.stop();
    await env?.close();
  });

  const rotateWithin2s = async (message: (version: string) => string, tag: string) => {
    const before = await valueNow();
    const value = canary(tag);
    const version = env.vault.setSecret({ name: "api-key", value });
    // Still cached: the vault has a new version, keyless does not know yet.
    expect(await valueNow()).toBe(before);
    const sent = performance.now();
    await queue.sendMessage(message(version));
    await waitFor("the new version", async () => (await valueNow()) === value, {
      timeoutMs: 2_000,
      intervalMs: 50,
    });
    return { ms: performance.now() - sent, version };
  };

  it("serves a new version within 2 seconds of its Event Grid schema event", async () => {
    const { version } = await rotateWithin2s((v) => eventGrid("SecretNewVersionCreated", "api-key", v), "eg");
    await waitFor("the rotation log line", () =>
      stack.keyless.lines.some((l) => l.includes(`secret api-key rotated to version ${version}`)),
    );
  });

  it("serves a new version within 2 seconds of its CloudEvents 1.0 event", async () => {
    await rotateWithin2s((v) => cloudEvent("SecretNewVersionCreated", "api-key", v), "ce");
  });

  it("serves a certificate's new version (CertificateNewVersionCreated) within 2 seconds, as its parts", async () => {
    const crtNow = async () =>
      (
        (await call("GET", `${stack.daprd.http}/v1.0/secrets/kv-certs/tls-cert`)).json as Record<
          string,
          string
        >
      )["tls.crt"];
    const first = await call("GET", `${stack.daprd.http}/v1.0/secrets/kv-certs/tls-cert`);
    expect(first.status).toBe(200);
    const before = await crtNow();
    expect(before).toContain(certs.leafPem.trim().split("\n")[1]);
    const version = env.vault.setSecret({
      name: "tls-cert",
      value: certs.pfxBase64("ec.pfx"),
      contentType: "application/x-pkcs12",
    });
    expect(await crtNow()).toBe(before);
    await certQueue.sendMessage(
      eventGrid("CertificateNewVersionCreated", "tls-cert", version, "Certificate"),
    );
    await waitFor(
      "the new certificate",
      async () => (await crtNow())?.includes(certs.read("ec.crt").split("\n")[1]!) ?? false,
      {
        timeoutMs: 2_000,
        intervalMs: 50,
      },
    );
  });

  it("deletes malformed and foreign messages with a log line and keeps reading", async () => {
    await queue.sendMessage(b64("this is not an event"));
    await queue.sendMessage("%%% not base64 {");
    await queue.sendMessage(
      b64({
        ...JSON.parse(Buffer.from(eventGrid("SecretNewVersionCreated", "x", "1"), "base64").toString()),
        eventType: "Microsoft.Storage.BlobCreated",
      }),
    );
    await rotateWithin2s((v) => eventGrid("SecretNewVersionCreated", "api-key", v), "after-junk");
    await waitFor(
      "the queue to be empty",
      async () => (await queue.peekMessages()).peekedMessageItems.length === 0 || undefined,
    );
    expect(stack.keyless.lines.filter((l) => l.includes("deleting a malformed message")).length).toBe(2);
    expect(stack.keyless.lines.some((l) => l.includes("deleting a foreign message"))).toBe(true);
  });

  it("logs and counts SecretNearExpiry and SecretExpired", async () => {
    await queue.sendMessage(cloudEvent("SecretNearExpiry", "api-key", "v9"));
    await queue.sendMessage(eventGrid("SecretExpired", "api-key", "v9"));
    await waitFor(
      "both warnings",
      () =>
        stack.keyless.lines.some((l) => l.includes("secret api-key expires soon")) &&
        stack.keyless.lines.some((l) => l.includes("secret api-key expired in the vault")),
    );
    const text = await (await fetch(`${ops}/metrics`)).text();
    expect(text).toMatch(/keyless_rotation_events_total\{instance="kv",type="SecretNearExpiry"\} 1/);
    expect(text).toMatch(/keyless_rotation_events_total\{instance="kv",type="SecretExpired"\} 1/);
    expect(text).toMatch(/keyless_secret_rotations_total\{instance="kv"\} [3-9]/);
  });

  it("reports a queue it cannot read as not ready, warns once, and keeps serving", async () => {
    // daprd initialised kv-missing-queue at start; its reader has been failing since.
    const r = await fetch(`${ops}/readyz`);
    const body = await r.text();
    expect(r.status).toBe(503);
    expect(body).toContain('secret store "kv-missing-queue"');
    expect(body).toContain("the queue does not exist (HTTP 404 QueueNotFound)");
    expect(
      stack.keyless.lines.filter((l) => l.includes("no-such-queue") && l.includes('"level":40')).length,
    ).toBe(1);
    expect((await call("GET", `${stack.daprd.http}/v1.0/secrets/kv-missing-queue/api-key`)).status).toBe(200);
    expect(stack.keyless.proc.exitCode).toBeNull();
  });

  it("keyless doctor: reports each rotationQueue and the listener of the keyless running here", async () => {
    const port = new URL(ops).port;
    const run = async (extraEnv: Record<string, string>) => {
      const r = await runDoctor(["--components", path.join(stack.tmp, "resources"), "--json"], {
        env: { ...env.identity.env(), ...extraEnv },
      });
      return { code: r.status, out: r.stdout + r.stderr };
    };
    const { code, out } = await run({ KEYLESS_METRICS_PORT: port, KEYLESS_METRICS_ADDRESS: "127.0.0.1" });
    expect(code).toBe(1);
    const report = JSON.parse(out) as {
      listener: { status: string; detail: string };
      components: {
        component: string;
        checks: { name: string; status: string; detail: string; fix?: string }[];
      }[];
    };
    const queueCheck = (component: string) =>
      report.components
        .find((c) => c.component === component)!
        .checks.find((k) => k.name.startsWith("rotationQueue"))!;
    expect(queueCheck("kv")).toMatchObject({ status: "ok" });
    expect(queueCheck("kv").detail).toContain("may read it");
    expect(queueCheck("kv-missing-queue")).toMatchObject({ status: "fail" });
    expect(queueCheck("kv-missing-queue").detail).toContain("HTTP 404 QueueNotFound");
    expect(queueCheck("kv-missing-queue").fix).toContain("az storage queue create --name no-such-queue");
    // The keyless running here answers, and says why it is not ready.
    expect(report.listener.status).toBe("fail");
    expect(report.listener.detail).toContain(`127.0.0.1:${port}`);
    expect(report.listener.detail).toContain('secret store "kv-missing-queue"');
    const off = await run({ KEYLESS_METRICS_PORT: "0" });
    expect((JSON.parse(off.out) as { listener: { detail: string } }).listener.detail).toContain("off");
    expect(out + off.out).not.toMatch(/canary-/);
  });

  it("keyless doctor never reads a rotation queue's messages: it only peeks", async () => {
    // A store only the doctor builds (to resolve a secretKeyRef), with its own queue and one event waiting.
    const doctorQueue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
      "doctor-only",
    );
    await doctorQueue.create();
    await doctorQueue.sendMessage(eventGrid("SecretNewVersionCreated", "api-key", "v1"));
    const dir = path.join(stack.tmp, "doctor-only");
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, "kv-doctor.yaml"),
      componentYaml("kv-doctor", "secretstores.keyless", {
        vaultUri: env.vault.url,
        azureClientId: app.clientId,
        rotationQueue: "doctor-only",
        rotationQueueEndpoint: azurite.queueUrl,
      }),
    );
    writeFileSync(
      path.join(dir, "state.yaml"),
      componentYaml(
        "needs-secret",
        "state.keyless",
        { connectionString: { secretKeyRef: "api-key" } },
        { secretStore: "kv-doctor" },
      ),
    );
    const { stdout: out } = await runDoctor(["--components", dir, "--json"], {
      env: { ...env.identity.env(), KEYLESS_METRICS_PORT: "0" },
    });
    expect(out).toContain('"secret for metadata connectionString"');
    expect(out).toContain("1 message(s) waiting");
    const left = await doctorQueue.peekMessages();
    expect(left.peekedMessageItems).toHaveLength(1);
    expect(left.peekedMessageItems[0]!.dequeueCount).toBe(0);
  });

  it("reports a queue service that is down as not ready, keeps serving, and reads again when it is back", async () => {
    const port = (u: string) => Number(new URL(u).port);
    const ports = {
      blob: port(azurite.blobUrl),
      queue: port(azurite.queueUrl),
      table: port(azurite.tableUrl),
    };
    await azurite.stop();
    let body = "";
    await waitFor(
      "/readyz to name the unreachable queue",
      async () => {
        body = await (await fetch(`${ops}/readyz`)).text();
        return body.includes('secret store "kv": source rotationQueue') || undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(body).toMatch(
      /secret store "kv": source rotationQueue\([^)]*kv-events\) failed: the queue service is unreachable \(ECONNREFUSED\)/,
    );
    expect((await call("GET", secretUrl())).status).toBe(200);
    // In-memory Azurite comes back empty: the queue is created again, as an operator would.
    azurite = await startTestAzurite({ ports });
    queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient("kv-events");
    await queue.create();
    certQueue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
      "kv-cert-events",
    );
    await certQueue.create();
    await waitFor(
      "kv's queue to be readable again",
      async () =>
        !(await (await fetch(`${ops}/readyz`)).text()).includes('secret store "kv": source rotationQueue') ||
        undefined,
      { timeoutMs: 40_000 },
    );
    await rotateWithin2s((v) => cloudEvent("SecretNewVersionCreated", "api-key", v), "after-outage");
    expect(stack.keyless.lines.some((l) => l.includes("the rotation queue is readable again"))).toBe(true);
    expect(stack.keyless.proc.exitCode).toBeNull();
  });

  it("never logs a value", () => {
    const all = stack.keyless.lines.join("\n");
    expect(all).not.toMatch(/canary-/);
  });
});
