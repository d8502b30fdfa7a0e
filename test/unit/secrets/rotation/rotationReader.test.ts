import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Writable } from "node:stream";
import { RestError } from "@azure/core-rest-pipeline";
import type { QueueClient } from "@azure/storage-queue";
import { HealthBoard } from "../../../../src/observability/healthBoard.js";
import { noMetrics } from "../../../../src/observability/metrics.js";
import { RotationReader } from "../../../../src/secrets/rotation/rotationReader.js";
import { waitFor } from "../../../helpers/wait.js";

describe("RotationReader on a queue it cannot read", () => {
  it("warns at most once a minute, reports not ready, never throws, and recovers", async () => {
    let now = 0;
    let calls = 0;
    let forbidden = true;
    const fakeQueue = {
      async receiveMessages() {
        calls++;
        if (forbidden) {
          throw new RestError("This request is not authorized", {
            statusCode: 403,
            code: "AuthorizationPermissionMismatch",
          });
        }
        return { receivedMessageItems: [] };
      },
      async deleteMessage() {
        return {};
      },
    };
    const lines: string[] = [];
    const health = new HealthBoard();
    const reader = new RotationReader({
      instance: "kv",
      queueLabel: "acct.queue.core.windows.net/kv-events",
      // A structural stand-in for the two calls the reader makes.
      client: fakeQueue as unknown as QueueClient,
      vaultHost: "myvault.vault.azure.net",
      who: "the system-assigned managed identity",
      target: { refreshByVaultName: async () => 0 },
      log: pino(
        new Writable({
          write(c: Buffer, _e, done) {
            lines.push(c.toString());
            done();
          },
        }),
      ),
      metrics: noMetrics,
      health,
      pollMs: 5,
      firstBackoffMs: 1,
      now: () => now,
    });
    reader.start();
    await waitFor("several failed reads", () => calls >= 4 || undefined);
    const warnings = () => lines.filter((l) => l.includes('"level":40')).length;
    expect(warnings()).toBe(1);
    expect(lines[0]).toContain("Storage Queue Data Message Processor");
    expect(health.reasons()[0]).toContain(
      'secret store "kv": source rotationQueue(acct.queue.core.windows.net/kv-events)',
    );
    now += 60_000;
    await waitFor("a second warning a minute later", () => warnings() === 2 || undefined);
    forbidden = false;
    await waitFor("recovery", () => health.reasons().length === 0 || undefined);
    expect(lines.some((l) => l.includes("readable again"))).toBe(true);
    await reader.stop();
  });
});
