/**
 * Dapr Workflows on state.keyless, through a real daprd with Dapr's own placement and scheduler (v1.18.3,
 * built from the Go module proxy): 50 instances of workflows written with @dapr/dapr's workflow runtime and
 * client (sequential activities, a fan-out/fan-in of five, an external event, a durable timer, terminate and
 * purge), with keyless as the actor state store (`actorStateStore: "true"`) on SQLite and on Tables (Azurite).
 * keyless is killed with SIGKILL while the instances run, and then daprd is; every instance must still end with
 * exactly the output its input determines, and a purge must leave none of its keys in the store.
 */
import { AzureNamedKeyCredential, TableClient } from "@azure/data-tables";
import { DaprWorkflowClient, LogLevel, WorkflowRuntime, WorkflowRuntimeStatus } from "@dapr/dapr";
import Database from "better-sqlite3";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNT, DEV_KEY, startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { componentYaml } from "../helpers/componentYaml.js";
import {
  controlPlaneDir,
  startPlacement,
  startScheduler,
  type ControlPlaneService,
} from "../helpers/controlPlane.js";
import { startDaprd, writeResources, type Daprd } from "../helpers/daprd.js";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { freePort } from "../helpers/ports.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";
import {
  activityRuns,
  APPROVAL_EVENT,
  expectedOrder,
  greet,
  countdown,
  family,
  order,
  RESUME_EVENT,
  square,
  stuck,
  type OrderInput,
} from "../workflows/orders.js";

const APP = "orders";
const ORDERS = 45;
const STUCK = 5;
const TIMER_SECONDS = 3;

interface Backend {
  name: string;
  metadata(azurite: Azurite): Record<string, string>;
  /** Every key in the store that holds a value, as daprd wrote it. */
  keys(dataDir: string, azurite: Azurite): Promise<string[]>;
  /** Every row's key, tombstones included (Tables keeps a delete's tombstone until the expiry sweep). */
  rows?(azurite: Azurite): Promise<string[]>;
}

const tableOf = (azurite: Azurite) =>
  new TableClient(azurite.tableUrl, "workflows", new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY));

const BACKENDS: Backend[] = [
  {
    name: "SQLite",
    metadata: () => ({ backend: "sqlite" }),
    async keys(dataDir) {
      const files = readdirSync(dataDir, { recursive: true, encoding: "utf8" }).filter((f) =>
        f.endsWith(".db"),
      );
      return files.flatMap((f) => {
        const db = new Database(path.join(dataDir, f), { readonly: true });
        try {
          const tables = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'keyless_meta'")
            .pluck()
            .all()
            .map(String);
          return tables.flatMap((t) => db.prepare(`SELECT key FROM "${t}"`).pluck().all().map(String));
        } finally {
          db.close();
        }
      });
    },
  },
  {
    name: "Tables",
    metadata: (azurite) => ({
      backend: "tables",
      tableName: "workflows",
      connectionString: azurite.connectionString,
    }),
    async keys(_dataDir, azurite) {
      const keys: string[] = [];
      // A delete inside a transaction writes an expired tombstone (exp = the time of the delete).
      for await (const e of tableOf(azurite).listEntities<{ exp?: number }>()) {
        if (e.exp === undefined || Number(e.exp) > Date.now()) keys.push(`${e.partitionKey}||${e.rowKey}`);
      }
      return keys.map(decodeURIComponent);
    },
    async rows(azurite) {
      const keys: string[] = [];
      for await (const e of tableOf(azurite).listEntities()) keys.push(`${e.partitionKey}||${e.rowKey}`);
      return keys.map(decodeURIComponent);
    },
  },
];

/**
 * @dapr/dapr 3.18.0's worker runs 10 work items at once, queues 100 and drops the rest without telling
 * daprd, which then waits for the dropped item forever with the instance locked (raise event and terminate
 * hang). After a restart daprd delivers every pending reminder at once, and 50 instances overflow it. The
 * bound is a private field with no option; an app with this many instances in flight must widen it.
 */
function widenWorkQueue(runtime: WorkflowRuntime) {
  const worker: unknown = Reflect.get(runtime, "worker");
  if (typeof worker !== "object" || worker === null || !Reflect.has(worker, "_maxQueueSize")) {
    throw new Error(
      "@dapr/dapr's workflow worker no longer has _maxQueueSize: recheck the drop described above",
    );
  }
  Reflect.set(worker, "_maxQueueSize", 100_000);
}

/** Attempts that hung, by what they were for: the figure the test reports. */
const hung: string[] = [];

/**
 * A client call that daprd may be restarting under: retried until it answers. The SDK's client sets no
 * deadline, so each attempt gets one here (a call that never returns would otherwise hang the test).
 */
async function untilAnswered<T>(what: string, call: () => Promise<T>, attemptMs = 20_000): Promise<T> {
  let result: { value: T } | undefined;
  await waitFor(
    what,
    async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"hung">(
        (resolve) => (timer = setTimeout(() => resolve("hung"), attemptMs)),
      );
      try {
        const got = await Promise.race([call().then((value) => ({ value })), deadline]);
        if (got === "hung") return void hung.push(what);
        result = got;
        return true;
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  return result!.value;
}

describe.each(BACKENDS)("Dapr Workflows on state.keyless ($name) through daprd", (backend) => {
  const tmp = makeTmpDir(`wf-${backend.name.toLowerCase()}`);
  const socketDir = path.join(tmp.dir, "sock");
  const dataDir = path.join(tmp.dir, "data");
  const keylessOpts = { socketDir, dataDir, env: { KEYLESS_SAVE_CREDENTIALS: "true" } };
  let azurite: Azurite;
  let placement: ControlPlaneService;
  let scheduler: ControlPlaneService;
  let keyless: KeylessProcess;
  let daprd: Daprd;
  let runtime: WorkflowRuntime;
  let client: DaprWorkflowClient;
  let resources: string;
  let ports: { http: number; grpc: number };

  const sidecar = () => ({
    daprHost: "127.0.0.1",
    daprPort: String(ports.grpc),
    logger: { level: LogLevel.Error },
  });
  const startRuntime = async () => {
    const r = new WorkflowRuntime(sidecar())
      .registerWorkflow(order)
      .registerWorkflow(stuck)
      .registerWorkflow(countdown)
      .registerWorkflow(family)
      .registerActivity(greet)
      .registerActivity(square);
    widenWorkQueue(r);
    await r.start();
    return r;
  };

  const daprdOptions = () => ({
    socketDir,
    resourcesDir: resources,
    appId: APP,
    placement: placement.address,
    scheduler: scheduler.address,
    ports,
  });

  beforeAll(async () => {
    const dir = controlPlaneDir();
    azurite = await startTestAzurite();
    [placement, scheduler] = await Promise.all([
      startPlacement(dir),
      startScheduler(dir, path.join(tmp.dir, "scheduler")),
    ]);
    resources = writeResources(path.join(tmp.dir, "resources"), [], {
      "statestore.yaml": componentYaml("statestore", "state.keyless", {
        ...backend.metadata(azurite),
        actorStateStore: "true",
      }),
    });
    const http = await freePort();
    let grpc = await freePort();
    while (grpc === http) grpc = await freePort();
    ports = { http, grpc };
    keyless = await startKeyless(keylessOpts);
    daprd = await startDaprd(daprdOptions());
    runtime = await startRuntime();
    client = new DaprWorkflowClient(sidecar());
  });

  afterAll(async () => {
    await client?.stop();
    await runtime?.stop().catch(() => undefined);
    await daprd?.stop();
    await keyless?.stop();
    await Promise.all([placement?.stop(), scheduler?.stop()]);
    await azurite?.stop();
    tmp.cleanup();
  });

  it("runs 50 instances to their exact outputs through kill -9 of keyless and of daprd, then terminates and purges", async () => {
    const t0 = Date.now();
    const step = (what: string) =>
      console.info(`[workflows on ${backend.name}] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    activityRuns.clear();
    const inputs: OrderInput[] = Array.from({ length: ORDERS }, (_, id) => ({
      id,
      timerSeconds: TIMER_SECONDS,
    }));
    const orderIds = await Promise.all(
      inputs.map((input) => client.scheduleNewWorkflow(order, input, `order-${input.id}`)),
    );
    const stuckIds = await Promise.all(
      Array.from({ length: STUCK }, (_, i) => client.scheduleNewWorkflow(stuck, undefined, `stuck-${i}`)),
    );

    // Mid-flight: the activities have begun, and not all have run.
    await waitFor(
      "activities to be running",
      async () => ((activityRuns.get("greet") ?? 0) >= 20 ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 20,
      },
    );
    step("activities running: kill -9 keyless");
    await keyless.stop("SIGKILL");
    keyless = await startKeyless(keylessOpts);

    for (const id of orderIds)
      await untilAnswered(`approve ${id}`, () => client.raiseEvent(id, APPROVAL_EVENT, `approver of ${id}`));

    // Mid-flight again: the approvals are in and the durable timers are pending.
    step("approvals sent: kill -9 daprd");
    daprd.proc.kill("SIGKILL");
    await daprd.stop();
    daprd = await startDaprd(daprdOptions());
    // @dapr/dapr 3.18.0's worker stops for good when the first stream it opened breaks (it retries only
    // later ones), so the app starts a new runtime once daprd is back, as an app restart would.
    await runtime.stop().catch(() => undefined);
    runtime = await startRuntime();

    step("daprd and the workflow runtime are back: waiting for completions");
    const states = await Promise.all(
      orderIds.map((id) =>
        untilAnswered(`completion of ${id}`, () => client.waitForWorkflowCompletion(id, true, 60), 70_000),
      ),
    );
    for (const [i, state] of states.entries()) {
      const id = orderIds[i]!;
      expect(state?.runtimeStatus, `${id}: ${state?.workflowFailureDetails?.getErrorMessage() ?? ""}`).toBe(
        WorkflowRuntimeStatus.COMPLETED,
      );
      expect(JSON.parse(state!.serializedOutput!)).toEqual(expectedOrder(inputs[i]!, `approver of ${id}`));
    }

    step("all orders completed: terminating the stuck ones");
    for (const id of stuckIds) {
      await untilAnswered(`terminate ${id}`, () => client.terminateWorkflow(id, "terminated by the test"));
      const state = await untilAnswered(
        `termination of ${id}`,
        () => client.waitForWorkflowCompletion(id, true, 60),
        70_000,
      );
      expect(state?.runtimeStatus).toBe(WorkflowRuntimeStatus.TERMINATED);
    }

    const all = [...orderIds, ...stuckIds];
    step("purging");
    const before = await backend.keys(dataDir, azurite);
    for (const id of all)
      expect(
        before.some((k) => k.includes(`||${id}||`)),
        `${id} has state before the purge`,
      ).toBe(true);
    for (const id of all)
      expect(await untilAnswered(`purge ${id}`, () => client.purgeWorkflow(id))).toBe(true);
    for (const id of all) expect(await client.getWorkflowState(id, false)).toBeUndefined();
    const after = await backend.keys(dataDir, azurite);
    const ofAny = (k: string) => all.some((id) => k.includes(`||${id}||`));
    expect(after.filter(ofAny)).toEqual([]);
    // The tombstones go with the expiry sweep, at the default ttlCleanupInterval (60 s).
    if (backend.rows) {
      await waitFor(
        "the sweep to remove the tombstones",
        async () => ((await backend.rows!(azurite)).some(ofAny) ? undefined : true),
        {
          timeoutMs: 90_000,
          intervalMs: 1_000,
        },
      );
    }

    console.info(
      JSON.stringify({
        workflows: backend.name,
        instances: all.length,
        activityRuns: Object.fromEntries(activityRuns),
        activitiesDefined: ORDERS * 8,
        keysBeforePurge: before.length,
        hungCalls: hung.splice(0),
      }),
    );
    expect(activityRuns.get("greet")).toBeGreaterThanOrEqual(ORDERS * 3);
    expect(activityRuns.get("square")).toBeGreaterThanOrEqual(ORDERS * 5);
  }, 300_000);

  it("runs child workflows and continue-as-new, and holds a suspended instance until it is resumed", async () => {
    const id = await client.scheduleNewWorkflow(family, { id: 1 }, "family-1");
    await waitFor(
      "both children to finish",
      async () => {
        const states = await Promise.all(
          ["child-a-1", "child-b-1"].map((c) => client.getWorkflowState(c, false)),
        );
        return states.every((st) => st?.runtimeStatus === WorkflowRuntimeStatus.COMPLETED) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await client.suspendWorkflow(id);
    expect((await client.getWorkflowState(id, false))?.runtimeStatus).toBe(WorkflowRuntimeStatus.SUSPENDED);
    // An event raised while suspended is kept, not acted on, until the resume.
    await client.raiseEvent(id, RESUME_EVENT, "after the resume");
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await client.getWorkflowState(id, false))?.runtimeStatus).toBe(WorkflowRuntimeStatus.SUSPENDED);
    await client.resumeWorkflow(id);
    const state = await client.waitForWorkflowCompletion(id, true, 60);
    expect(state?.runtimeStatus).toBe(WorkflowRuntimeStatus.COMPLETED);
    // Each countdown ran one round per step and ended with a fresh history each time.
    expect(JSON.parse(state!.serializedOutput!)).toEqual({
      children: [2, 3],
      resumedWith: "after the resume",
    });
    for (const w of [id, "child-a-1", "child-b-1"]) expect(await client.purgeWorkflow(w)).toBe(true);
  }, 120_000);
});
