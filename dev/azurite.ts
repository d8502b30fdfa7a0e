/** Starts Azurite from npm (HTTPS with the test CA, OAuth "basic", in memory) on free ports. */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { waitFor } from "./wait.js";

const require = createRequire(import.meta.url);

export interface Azurite {
  proc: ChildProcess;
  tableUrl: string;
  queueUrl: string;
  blobUrl: string;
  /** Shared-key connection string with the HTTPS blob, queue and table endpoints of this instance. */
  connectionString: string;
  lines: string[];
  stop(): Promise<void>;
}

export const DEV_ACCOUNT = "devstoreaccount1";
/** Azurite's well-known development key (public, documented by Microsoft; not a secret). */
export const DEV_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  certFile: string;
  keyFile: string;
  /** 0 (the default) lets the OS pick. */
  ports?: { blob?: number; queue?: number; table?: number };
  /** Keep data in this folder instead of memory. */
  location?: string;
}

export async function startAzurite(opts: AzuriteOptions): Promise<Azurite> {
  const main = path.join(path.dirname(require.resolve("azurite/package.json")), "dist/src/azurite.js");
  const proc = spawn(
    process.execPath,
    [
      main,
      ...(opts.location ? ["--location", opts.location] : ["--inMemoryPersistence"]),
      "--blobPort",
      String(opts.ports?.blob ?? 0),
      "--queuePort",
      String(opts.ports?.queue ?? 0),
      "--tablePort",
      String(opts.ports?.table ?? 0),
      "--cert",
      opts.certFile,
      "--key",
      opts.keyFile,
      "--oauth",
      "basic",
      // @azure/storage-queue on Node 20 speaks a newer x-ms-version than azurite 3.35 knows.
      "--skipApiVersionCheck",
      "--disableTelemetry",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const urls: Record<string, string> = {};
  const collect = (c: Buffer) => {
    for (const l of c.toString("utf8").split("\n").filter(Boolean)) {
      lines.push(l);
      const m = /Azurite (Blob|Queue|Table) service is successfully listening at (https?:\/\/\S+)/.exec(l);
      if (m) urls[m[1]!.toLowerCase()] = m[2]!;
    }
  };
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => proc.once("exit", () => ((exited = true), resolve())));
  await waitFor(
    "Azurite to listen",
    () => {
      if (exited) throw new Error(`Azurite exited:\n${lines.join("\n")}`);
      return urls.blob && urls.queue && urls.table ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
  return {
    proc,
    tableUrl: `${urls.table}/${DEV_ACCOUNT}`,
    queueUrl: `${urls.queue}/${DEV_ACCOUNT}`,
    blobUrl: `${urls.blob}/${DEV_ACCOUNT}`,
    connectionString:
      `DefaultEndpointsProtocol=https;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
      `BlobEndpoint=${urls.blob}/${DEV_ACCOUNT};QueueEndpoint=${urls.queue}/${DEV_ACCOUNT};TableEndpoint=${urls.table}/${DEV_ACCOUNT};`,
    lines,
    async stop() {
      if (!exited) proc.kill("SIGTERM");
      await exit;
    },
  };
}
