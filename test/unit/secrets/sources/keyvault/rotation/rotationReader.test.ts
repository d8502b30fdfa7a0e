import { describe, expect, it, vi } from "vitest";
import { liveHeap } from "../../../../../helpers/liveHeap.js";
import { pino } from "pino";
import { Writable } from "node:stream";
import { RestError } from "@azure/core-rest-pipeline";
import type { QueueClient } from "@azure/storage-queue";
import { HealthBoard } from "../../../../../../src/observability/healthBoard.js";
import { noMetrics } from "../../../../../../src/observability/metrics.js";
import { RotationReader } from "../../../../../../src/secrets/sources/keyvault/rotation/rotationReader.js";
import { waitFor } from "../../../../../helpers/wait.js";

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
      vaultHosts: ["myvault.vault.azure.net"],
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

describe("RotationReader over many polls", () => {
  it("10,000 polls on a fake clock leave its signal's listener count and the live heap where they started", async () => {
    vi.useFakeTimers();
    try {
      let polls = 0;
      const emptyQueue = {
        async receiveMessages() {
          polls++;
          return { receivedMessageItems: [] };
        },
        async deleteMessage() {
          return {};
        },
      };
      const reader = new RotationReader({
        instance: "kv",
        queueLabel: "acct.queue.core.windows.net/kv-events",
        // A structural stand-in for the two calls the reader makes.
        client: emptyQueue as unknown as QueueClient,
        vaultHosts: ["myvault.vault.azure.net"],
        who: "the system-assigned managed identity",
        target: { refreshByVaultName: async () => 0 },
        log: pino({ level: "silent" }),
        metrics: noMetrics,
      });
      reader.start();
      // The production poll interval (1 s): each advance lets one pause end and the next begin.
      await vi.advanceTimersByTimeAsync(1_000);
      const listenersAtStart = reader.abortListeners;
      const heapAtStart = liveHeap();
      for (let i = 0; i < 10_000; i++) await vi.advanceTimersByTimeAsync(1_000);
      expect(polls).toBeGreaterThanOrEqual(10_000);
      expect(reader.abortListeners).toBe(listenersAtStart);
      expect(listenersAtStart).toBeLessThanOrEqual(1);
      // Live heap after a full collection: a listener leak of 10,000 closures would add well over 1 MiB.
      expect(liveHeap() - heapAtStart).toBeLessThan(1024 * 1024);
      await reader.stop();
      expect(reader.abortListeners).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
