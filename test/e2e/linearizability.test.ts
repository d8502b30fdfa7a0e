/**
 * Three replicas of one app (each its own keyless and daprd, one app id) on one Azurite table, driven
 * through daprd's HTTP API by concurrent clients while faults happen: 5 ms and 50 ms of latency through
 * the fault proxy, kill -9 of a keyless, kill -9 of a daprd, an Azurite restart. Every single-key call is
 * recorded (invoke, return, ok / fail / unknown, the value read) and the history is checked by porcupine
 * (test/linearizability/checker, built by scripts/install-checker.sh), not by a checker of our own.
 * Values above 64 KiB (chunked into several entity properties) are checked to be one whole value.
 * Money-moving transactions across the replicas must conserve the total.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "../../dev/faultProxy.js";
import { DEV_ACCOUNT, DEV_KEY, startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { componentYaml } from "../helpers/componentYaml.js";
import { startDaprd, writeResources, type Daprd } from "../helpers/daprd.js";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { testTls } from "../helpers/standins.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { newHistory, runClient, type History, type Replica } from "../linearizability/client.js";
import { runTransfers, ACCOUNTS, OPENING_BALANCE } from "../linearizability/transfers.js";

const APP = "bank";
const REPLICAS = 3;
const CLIENTS_PER_REPLICA = 2;
const PHASE_MS = 6_000;

interface Node extends Replica {
  socketDir: string;
  dataDir: string;
  resources: string;
  keyless: KeylessProcess;
  daprd: Daprd;
}

function checker(): string {
  return execFileSync("bash", [path.join(REPO_ROOT, "scripts/install-checker.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

describe("three replicas on one table, checked for linearizability", () => {
  const tmp = makeTmpDir("linear");
  const out = path.join(REPO_ROOT, ".test-tmp/linearizability");
  let azurite: Azurite;
  let azuritePorts: { blob: number; queue: number; table: number };
  let proxy: FaultProxy;
  const nodes: Node[] = [];
  let checkerPath: string;

  const startNode = async (i: number): Promise<Node> => {
    const socketDir = path.join(tmp.dir, `r${i}/sock`);
    const dataDir = path.join(tmp.dir, `r${i}/data`);
    const resources = writeResources(path.join(tmp.dir, `r${i}/resources`), [], {
      "statestore.yaml": componentYaml("statestore", "state.keyless", {
        backend: "tables",
        tableEndpoint: `${proxy.url}/${DEV_ACCOUNT}`,
        accountName: DEV_ACCOUNT,
        accountKey: DEV_KEY,
        tableName: "linear",
      }),
    });
    // The account key must survive a kill -9 of keyless: daprd never sends Init again.
    const keyless = await startKeyless({ socketDir, dataDir, env: { KEYLESS_SAVE_CREDENTIALS: "true" } });
    const daprd = await startDaprd({ socketDir, resourcesDir: resources, appId: APP });
    return { name: `replica ${i}`, http: daprd.http, socketDir, dataDir, resources, keyless, daprd };
  };

  const killKeyless = async (n: Node) => {
    await n.keyless.stop("SIGKILL");
    n.keyless = await startKeyless({
      socketDir: n.socketDir,
      dataDir: n.dataDir,
      env: { KEYLESS_SAVE_CREDENTIALS: "true" },
    });
  };

  const killDaprd = async (n: Node) => {
    n.daprd.proc.kill("SIGKILL");
    await n.daprd.stop();
    n.daprd = await startDaprd({ socketDir: n.socketDir, resourcesDir: n.resources, appId: APP });
    n.http = n.daprd.http;
  };

  const restartAzurite = async () => {
    await azurite.stop();
    azurite = await startTestAzurite({ location: path.join(tmp.dir, "azurite"), ports: azuritePorts });
  };

  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    checkerPath = checker();
    azurite = await startTestAzurite({ location: path.join(tmp.dir, "azurite") });
    const port = (u: string) => Number(new URL(u).port);
    azuritePorts = {
      blob: port(azurite.blobUrl),
      queue: port(azurite.queueUrl),
      table: port(azurite.tableUrl),
    };
    proxy = await startFaultProxy({ target: new URL(azurite.tableUrl).origin, tls: testTls() });
    // All three start at once: their Inits race to create the table.
    nodes.push(...(await Promise.all(Array.from({ length: REPLICAS }, (_, i) => startNode(i)))));
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) {
      await n.daprd.stop();
      await n.keyless.stop();
    }
    await proxy?.close();
    await azurite?.stop();
    tmp.cleanup();
  });

  /** Runs every replica's clients for one phase while `fault` happens, then stops them. */
  async function phase(history: History, tag: string, fault: () => Promise<void>) {
    const stop = new AbortController();
    const clients = nodes.flatMap((n, r) =>
      Array.from({ length: CLIENTS_PER_REPLICA }, (_, c) =>
        runClient({
          history,
          replica: n,
          client: r * CLIENTS_PER_REPLICA + c,
          keyPrefix: tag,
          stop: stop.signal,
        }),
      ),
    );
    await fault();
    await sleep(PHASE_MS);
    stop.abort();
    await Promise.all(clients);
  }

  function check(history: History, name: string) {
    const file = path.join(out, `${name}.json`);
    writeFileSync(file, JSON.stringify(history.records));
    const r = spawnSync(checkerPath, [file, path.join(out, `${name}.html`)], { encoding: "utf8" });
    const summary: unknown = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
    return { status: r.status, summary, file };
  }

  const allCalm = async () => {
    // Every replica answers again before the next phase starts.
    for (const n of nodes) {
      await waitFor(
        `${n.name} to answer`,
        async () => {
          const res = await fetch(`${n.http}/v1.0/state/statestore/ready-probe`).catch(() => undefined);
          return res && res.status < 300 ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    }
  };

  it("keeps single-key Get/Set/ETag-Set/Delete/first-write linearizable through latency, kill -9 and an Azurite restart", async () => {
    const history = newHistory();
    const faults: [string, () => Promise<void>][] = [
      ["latency5", async () => void (proxy.delayMs = 5)],
      ["latency50", async () => void (proxy.delayMs = 50)],
      [
        "killKeyless",
        async () => {
          proxy.delayMs = 5;
          await sleep(1_500);
          await killKeyless(nodes[0]!);
        },
      ],
      [
        "killDaprd",
        async () => {
          await sleep(1_500);
          await killDaprd(nodes[1]!);
        },
      ],
      [
        "azuriteRestart",
        async () => {
          await sleep(1_500);
          await restartAzurite();
        },
      ],
    ];
    const counts: Record<string, ReturnType<History["countSince"]>> = {};
    for (const [tag, fault] of faults) {
      const before = history.count();
      await phase(history, tag, fault);
      await allCalm();
      counts[tag] = history.countSince(before);
    }
    const result = check(history, "single-key");
    console.info(JSON.stringify({ linearizability: result.summary, phases: counts }));
    expect(history.unexpected).toEqual([]);
    expect(history.torn).toEqual([]);
    expect(result.summary).toMatchObject({ result: "Ok" });
    expect(result.status).toBe(0);
    // The history is worth checking: every kind of call, both answers, and some chunked values.
    for (const op of ["get", "set", "cas", "create", "del", "cdel"]) {
      expect(history.records.some((r) => r.input.op === op && r.output.result === "ok")).toBe(true);
    }
    expect(history.records.some((r) => r.input.op === "cas" && r.output.result === "fail")).toBe(true);
    expect(history.records.some((r) => r.input.op === "create" && r.output.result === "fail")).toBe(true);
    expect(history.bigReads).toBeGreaterThan(20);
  }, 180_000);

  it("reports a history that is not linearizable (the checker is not a rubber stamp)", () => {
    const history = newHistory();
    const at = (n: number) => n * 1000;
    history.records.push(
      {
        client: 0,
        input: { op: "set", key: "x", value: "a" },
        output: { result: "ok" },
        call: at(0),
        return: at(1),
      },
      {
        client: 1,
        input: { op: "get", key: "x" },
        output: { result: "ok", found: true, value: "a" },
        call: at(2),
        return: at(3),
      },
      {
        client: 1,
        input: { op: "cas", key: "x", value: "b", expect: "a" },
        output: { result: "ok" },
        call: at(4),
        return: at(5),
      },
      {
        client: 0,
        input: { op: "cas", key: "x", value: "c", expect: "a" },
        output: { result: "ok" },
        call: at(6),
        return: at(7),
      },
    );
    const result = check(history, "illegal-sample");
    expect(result.summary).toMatchObject({ result: "Illegal" });
    expect(result.status).toBe(1);
  });

  it("conserves the total of money-moving transactions across replicas through kill -9 of a keyless", async () => {
    const stop = new AbortController();
    const opened = await runTransfers.open(nodes[0]!);
    expect(opened).toBe(true);
    const workers = nodes.map((n, i) => runTransfers.work(n, i, stop.signal));
    await sleep(2_000);
    await killKeyless(nodes[2]!);
    await sleep(4_000);
    stop.abort();
    const done = await Promise.all(workers);
    await allCalm();
    const total = await runTransfers.total(nodes[1]!);
    const committed = done.reduce((a, d) => a + d.committed, 0);
    console.info(
      JSON.stringify({ transfers: { committed, unknown: done.reduce((a, d) => a + d.unknown, 0) } }),
    );
    expect(total).toBe(ACCOUNTS * OPENING_BALANCE);
    expect(committed).toBeGreaterThan(10);
  }, 120_000);
});
