/**
 * Warm secret Get through daprd: secretstores.keyless vs daprd's built-in secretstores.azure.keyvault,
 * both reading the same Key Vault stand-in with managed identity (one identity each, so their vault calls
 * can be counted apart).
 *
 * The built-in store only talks to https://<vault>.vault.azure.net on port 443, so the stand-in listens on
 * 443 and daprd runs in a private mount namespace whose /etc/hosts maps benchvault.vault.azure.net to
 * 127.0.0.1 (nothing on the machine changes). That needs root; without it this part is skipped, saying so.
 *
 * Both reach the vault through one latency proxy on port 443 (bench/latencyProxy.ts), measured at each
 * BENCH_KV_LATENCIES_MS (default 0 and 10: the same machine, and an in-region vault). Each latency runs
 * the two stores in alternation, twice, and keeps each store's median run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { makeIdentity, startIdentityStandIn } from "../dev/identityStandIn.js";
import { startKeyVaultStandIn } from "../dev/keyVaultStandIn.js";
import { ensureTestTls } from "../dev/tls.js";
import { startDaprd, writeResources } from "../test/helpers/daprd.js";
import { startKeyless } from "../test/helpers/keyless.js";
import { fmt, summarise, type LatencySummary } from "./stats.js";
import { startLatencyProxy, type LatencyProxy } from "./latencyProxy.js";
import { componentYaml } from "../test/helpers/componentYaml.js";

const GETS = Number(process.env.BENCH_KV_GETS ?? 1000);
const LATENCIES = (process.env.BENCH_KV_LATENCIES_MS ?? "0,10").split(",").map(Number);
const VAULT_HOST = "benchvault.vault.azure.net";

function canUsePrivateHosts(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (port 443 and a private /etc/hosts for daprd)";
  try {
    execFileSync("unshare", ["--mount", "true"], { stdio: "ignore" });
  } catch {
    return "needs `unshare --mount` (util-linux) to give daprd a private /etc/hosts";
  }
  return undefined;
}

export async function benchKeyVault(tmp: string, log: (l: string) => void): Promise<void> {
  log(
    `\n== 3. warm secret Get through daprd (${GETS} sequential Gets, vault ${LATENCIES.join(" and ")} ms away): keyless vs built-in secretstores.azure.keyvault`,
  );
  const why = canUsePrivateHosts();
  if (why) {
    log(`   skipped: ${why}`);
    return;
  }
  const tls = ensureTestTls(path.resolve(".test-tmp/tls"));
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
  const forKeyless = makeIdentity("bench-keyless");
  const forBuiltin = makeIdentity("bench-builtin");
  const mi = await startIdentityStandIn({ identities: [forKeyless, forBuiltin] });
  let vault;
  try {
    vault = await startKeyVaultStandIn({
      tls,
      signer: mi.signer,
      tenantId: mi.tenantId,
      secrets: [{ name: "bench-secret", value: "bench-value" }],
      access: { [forKeyless.objectId]: "*", [forBuiltin.objectId]: "*" },
    });
  } catch (e) {
    log(`   skipped: the Key Vault stand-in did not start (${(e as Error).message})`);
    await mi.close();
    return;
  }
  let proxy: LatencyProxy;
  try {
    proxy = await startLatencyProxy({
      targetPort: Number(new URL(vault.url).port),
      delayMs: 0,
      port: 443,
    });
  } catch (e) {
    log(`   skipped: cannot listen on port 443 (${(e as NodeJS.ErrnoException).code ?? e})`);
    await vault.close();
    await mi.close();
    return;
  }
  const hosts = path.join(tmp, "hosts");
  writeFileSync(hosts, `${readFileSync("/etc/hosts", "utf8")}\n127.0.0.1 ${VAULT_HOST}\n`);
  const socketDir = path.join(tmp, "kvs");
  const keyless = await startKeyless({
    socketDir,
    dataDir: path.join(tmp, "kvd"),
    env: { ...mi.env(), KEYLESS_LOG_LEVEL: "warn" },
  });
  const resources = writeResources(path.join(tmp, "kvres"), [], {
    "kv-keyless.yaml": component("kv-keyless", "secretstores.keyless", {
      vaultUri: "https://127.0.0.1:443",
      azureClientId: forKeyless.clientId,
    }),
    "kv-builtin.yaml": component("kv-builtin", "secretstores.azure.keyvault", {
      vaultName: "benchvault",
      azureClientId: forBuiltin.clientId,
    }),
  });
  const daprd = await startDaprd({
    socketDir,
    resourcesDir: resources,
    appId: "kvbench",
    env: { ...mi.env(), SSL_CERT_FILE: tls.caFile },
    wrap: (cmd, args) => [
      "unshare",
      ["--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, cmd, ...args],
    ],
  });
  try {
    const url = (store: string) => `${daprd.http}/v1.0/secrets/${store}/bench-secret`;
    const callsBy = (oid: string) => vault!.requests.filter((r) => r.caller === oid && r.op === "get").length;
    const run = async (store: string, oid: string) => {
      for (let i = 0; i < 50; i++) {
        const r = await fetch(url(store));
        const body = await r.text();
        if (r.status !== 200) throw new Error(`${store}: HTTP ${r.status} ${body}`);
      }
      const before = callsBy(oid);
      const samples: number[] = [];
      for (let i = 0; i < GETS; i++) {
        const t0 = performance.now();
        const r = await fetch(url(store));
        await r.arrayBuffer();
        samples.push(performance.now() - t0);
      }
      return { lat: summarise(samples), callsPer1000: ((callsBy(oid) - before) * 1000) / GETS };
    };
    for (const ms of LATENCIES) {
      proxy.delayMs = ms;
      const k: Run[] = [];
      const b: Run[] = [];
      for (let round = 0; round < 2; round++) {
        k.push(await run("kv-keyless", forKeyless.objectId));
        b.push(await run("kv-builtin", forBuiltin.objectId));
      }
      report(log, ms, calmerRun(k), calmerRun(b));
    }
  } catch (e) {
    log(`   failed: ${(e as Error).message}`);
    log(
      daprd.lines
        .filter((l) => /error|fail/i.test(l))
        .slice(-5)
        .join("\n"),
    );
  } finally {
    await daprd.stop();
    await keyless.stop();
    await proxy.close();
    await vault.close();
    await mi.close();
  }
}

interface Run {
  lat: LatencySummary;
  callsPer1000: number;
}

/** Of the runs, the one with the lowest p50: the others were more disturbed by the shared machine. */
const calmerRun = (runs: Run[]) => runs.reduce((a, r) => (r.lat.p50 < a.lat.p50 ? r : a));

function report(log: (l: string) => void, ms: number, k: Run, b: Run) {
  const line = (who: string, r: Run) =>
    `   ${who} p50 ${fmt(r.lat.p50)} ms   p99 ${fmt(r.lat.p99)} ms   Key Vault calls per 1000 Gets: ${fmt(r.callsPer1000, 1)}`;
  log(`   vault ${ms} ms away:`);
  log(line("  keyless  ", k));
  log(line("  built-in ", b));
  log(
    `     ratio keyless/built-in: p50 ${fmt(k.lat.p50 / b.lat.p50, 2)}x   p99 ${fmt(k.lat.p99 / b.lat.p99, 2)}x`,
  );
}

const component = componentYaml;
