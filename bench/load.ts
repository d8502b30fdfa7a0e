/**
 * `npm run bench:load`: load figures for docs/reliability.md.
 *  1. 10 000 concurrent secret Gets over the socket (one HTTP/2 connection, as daprd uses), then 10 000 Gets
 *     through daprd's HTTP API with 256 connections, against a Key Vault stand-in: p50/p99, vault calls,
 *     keyless peak RSS.
 *  2. A mixed state load through daprd (70% get, 25% set, 5% delete over 10 000 keys, 16 clients) for
 *     BENCH_LOAD_SECONDS (default 300): p50/p99 per operation, and keyless RSS sampled every 5 s; memory
 *     counts as flat when RSS at the end is within 25% of RSS after the first minute. This part runs on a
 *     fresh keyless and daprd: the V8 heap that part 1's 10 000 queued calls grew is not given back to the
 *     system at once, and would be counted as the state load's. BENCH_LOAD_PARTS=state runs this part only;
 *     BENCH_KEYLESS_NODE_OPTIONS adds node options (e.g. an --import hook) to its keyless;
 *     BENCH_KEYLESS_NODE_ARGS adds node flags after the shipped ones (a later flag wins).
 * Every keyless here starts with the Dockerfile's node flags (bench/nodeFlags.ts), as the image runs it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Agent } from "undici";
import { makeIdentity, startIdentityStandIn } from "../dev/identityStandIn.js";
import { startKeyVaultStandIn } from "../dev/keyVaultStandIn.js";
import { ensureTestTls } from "../dev/tls.js";
import { startDaprd, writeResources } from "../test/helpers/daprd.js";
import { startKeyless, type KeylessProcess } from "../test/helpers/keyless.js";
import { SocketClient } from "../test/helpers/socketClient.js";
import { makeTmpDir } from "../test/helpers/tmp.js";
import { fmt, summarise } from "./stats.js";
import { shippedKeyless } from "./nodeFlags.js";
import { componentYaml } from "../test/helpers/componentYaml.js";

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 300);
const log = (l: string) => process.stdout.write(`${l}\n`);

function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

const yaml = componentYaml;

async function main() {
  if (process.env.BENCH_LOAD_PARTS === "state") {
    const t = makeTmpDir("load");
    await mixedState(t.dir);
    t.cleanup();
    return;
  }
  const tmp = makeTmpDir("load");
  const tls = ensureTestTls(path.resolve(".test-tmp/tls"));
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
  const id = makeIdentity("load");
  const mi = await startIdentityStandIn({ identities: [id] });
  const vault = await startKeyVaultStandIn({
    tls,
    signer: mi.signer,
    tenantId: mi.tenantId,
    secrets: Array.from({ length: 100 }, (_, i) => ({ name: `s${i}`, value: `value-${i}` })),
    access: { [id.objectId]: "*" },
  });
  const socketDir = path.join(tmp.dir, "s");
  const keyless: KeylessProcess = await startKeyless({
    socketDir,
    dataDir: path.join(tmp.dir, "d"),
    ...shippedKeyless({ ...mi.env(), KEYLESS_LOG_LEVEL: "warn" }),
  });
  const pid = keyless.proc.pid!;
  const resources = writeResources(path.join(tmp.dir, "r"), ["statestore.yaml"], {
    "kv.yaml": yaml("kv", "secretstores.keyless", { vaultUri: vault.url, azureClientId: id.clientId }),
  });
  const daprd = await startDaprd({ socketDir, resourcesDir: resources, appId: "load" });
  try {
    log("== 1. 10 000 concurrent secret Gets");
    const client = new SocketClient(keyless.socket);
    await client.call(
      "SecretStore",
      "Init",
      { metadata: { properties: { vaultUri: vault.url, azureClientId: id.clientId } } },
      "kv-socket",
    );
    const vaultCalls = () => vault.requests.filter((r) => r.op === "get" && r.status === 200).length;
    const before = vaultCalls();
    let t0 = performance.now();
    const lat: number[] = [];
    await Promise.all(
      Array.from({ length: 10_000 }, async (_, i) => {
        const s = performance.now();
        await client.call("SecretStore", "Get", { key: `s${i % 100}` }, "kv-socket");
        lat.push(performance.now() - s);
      }),
    );
    let wall = performance.now() - t0;
    let sum = summarise(lat);
    log(
      `   over the socket: p50 ${fmt(sum.p50, 1)} ms  p99 ${fmt(sum.p99, 1)} ms  total ${fmt(wall, 0)} ms  vault calls ${vaultCalls() - before}  keyless peak RSS ${fmt(rssMiB(pid).peak, 0)} MiB`,
    );
    client.close();

    const agent = new Agent({ connections: 256 });
    const before2 = vaultCalls();
    lat.length = 0;
    t0 = performance.now();
    let errors = 0;
    await Promise.all(
      Array.from({ length: 10_000 }, async (_, i) => {
        const s = performance.now();
        const r = await fetch(`${daprd.http}/v1.0/secrets/kv/s${i % 100}`, {
          dispatcher: agent,
        } as unknown as RequestInit);
        await r.arrayBuffer();
        if (r.status !== 200) errors++;
        lat.push(performance.now() - s);
      }),
    );
    wall = performance.now() - t0;
    sum = summarise(lat);
    log(
      `   through daprd:   p50 ${fmt(sum.p50, 1)} ms  p99 ${fmt(sum.p99, 1)} ms  total ${fmt(wall, 0)} ms  errors ${errors}  vault calls ${vaultCalls() - before2}  keyless peak RSS ${fmt(rssMiB(pid).peak, 0)} MiB`,
    );

    await agent.close();
  } finally {
    await daprd.stop();
    await keyless.stop();
    await vault.close();
    await mi.close();
  }
  await mixedState(tmp.dir);
  tmp.cleanup();
}

async function mixedState(dir: string) {
  const socketDir = path.join(dir, "s2");
  const keyless = await startKeyless({
    socketDir,
    dataDir: path.join(dir, "d2"),
    ...shippedKeyless({ KEYLESS_LOG_LEVEL: "warn" }),
  });
  const pid = keyless.proc.pid!;
  const resources = writeResources(path.join(dir, "r2"), ["statestore.yaml"], {});
  const daprd = await startDaprd({ socketDir, resourcesDir: resources, appId: "load2" });
  const agent = new Agent({ connections: 256 });
  try {
    log(
      `\n== 2. mixed state load through daprd for ${SECONDS}s (70% get, 25% set, 5% delete, 10 000 keys, 16 clients), fresh keyless at ${fmt(rssMiB(pid).rss, 0)} MiB RSS`,
    );
    const ops = { get: [] as number[], set: [] as number[], delete: [] as number[] };
    let failed = 0;
    const samples: { t: number; rss: number }[] = [];
    const start = performance.now();
    const deadline = start + SECONDS * 1000;
    const sampler = setInterval(
      () => samples.push({ t: (performance.now() - start) / 1000, rss: rssMiB(pid).rss }),
      5000,
    );
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < deadline) {
          const key = `k${Math.floor(rand() * 10_000)}`;
          const p = rand();
          const kind = p < 0.7 ? "get" : p < 0.95 ? "set" : "delete";
          const s = performance.now();
          const r =
            kind === "get"
              ? await fetch(`${daprd.http}/v1.0/state/statestore/${key}`, {
                  dispatcher: agent,
                } as unknown as RequestInit)
              : kind === "set"
                ? await fetch(`${daprd.http}/v1.0/state/statestore`, {
                    method: "POST",
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify([{ key, value: { n: s, pad: "x".repeat(200) } }]),
                    dispatcher: agent,
                  } as unknown as RequestInit)
                : await fetch(`${daprd.http}/v1.0/state/statestore/${key}`, {
                    method: "DELETE",
                    dispatcher: agent,
                  } as unknown as RequestInit);
          await r.arrayBuffer();
          if (r.status >= 300) failed++;
          ops[kind].push(performance.now() - s);
        }
      }),
    );
    clearInterval(sampler);
    samples.push({ t: SECONDS, rss: rssMiB(pid).rss });
    for (const [kind, l] of Object.entries(ops)) {
      const x = summarise(l);
      log(`   ${kind.padEnd(6)} n=${x.n}  p50 ${fmt(x.p50, 2)} ms  p99 ${fmt(x.p99, 2)} ms`);
    }
    const total = ops.get.length + ops.set.length + ops.delete.length;
    log(`   throughput ${fmt(total / SECONDS, 0)} ops/s, failed ${failed}`);
    const afterWarmup = samples.find((s) => s.t >= Math.min(60, SECONDS / 5)) ?? samples[0]!;
    const end = samples[samples.length - 1]!;
    const growth = (end.rss - afterWarmup.rss) / afterWarmup.rss;
    log(
      `   keyless RSS: ${fmt(afterWarmup.rss, 0)} MiB at ${fmt(afterWarmup.t, 0)}s -> ${fmt(end.rss, 0)} MiB at the end (${fmt(growth * 100, 1)}%), peak ${fmt(rssMiB(pid).peak, 0)} MiB: ${Math.abs(growth) <= 0.25 ? "flat (within 25%)" : "GROWING beyond the 25% bound"}`,
    );
  } finally {
    await agent.close();
    await daprd.stop();
    await keyless.stop();
  }
}

await main();
