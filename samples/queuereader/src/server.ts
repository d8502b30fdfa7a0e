/** HTTP surface of the sample: health, counts, and an endpoint to enqueue demo messages. */
import express from "express";
import type { QueueClient } from "@azure/storage-queue";
import type { Ledger } from "./ledger.js";
import type { Worker } from "./worker.js";

export function createApp(queue: QueueClient, ledger: Ledger, worker: Worker) {
  const app = express();
  app.use(express.json({ limit: "64kb" }));

  app.get("/healthz", async (_req, res) => {
    const err = worker.lastError();
    if (err) {
      res.status(503).json({ status: "degraded", error: err });
      return;
    }
    res.json({ status: "ok" });
  });

  app.get("/stats", async (_req, res) => {
    try {
      const { stats } = await ledger.stats();
      const last = stats.lastMessageId ? await ledger.message(stats.lastMessageId) : undefined;
      res.json({ ...stats, ...(last && { lastMessage: last }) });
    } catch (e) {
      res.status(502).json({ error: `reading state through Dapr failed: ${(e as Error).message}` });
    }
  });

  app.post("/messages", async (req, res) => {
    const text = (req.body as { text?: unknown })?.text;
    if (typeof text !== "string" || text.length === 0 || text.length > 16_000) {
      res.status(400).json({ error: 'send {"text": "..."} with 1 to 16000 characters' });
      return;
    }
    try {
      const r = await queue.sendMessage(text);
      res.status(202).json({ messageId: r.messageId });
    } catch (e) {
      res.status(502).json({ error: `enqueue failed: ${(e as Error).message}` });
    }
  });
  return app;
}
