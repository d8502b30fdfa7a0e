/**
 * Start-up of several builds of keyless against each other, to weigh one mechanism at a time: each build
 * is a dist/ (with proto/ and node_modules beside it) changed by hand. Every round starts the bare grpc-js
 * server and each build once, in an order rotated round by round; each build's figure is its ratio to the
 * bare server of the same round, so a machine that slows down between rounds moves both sides.
 *   node --import tsx bench/startupVariants.ts <name>=<path to main.js> ...
 * BENCH_STARTS rounds (default 9).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { makeTmpDir } from "../test/helpers/tmp.js";
import { BARE, median, startOnce, startupEnv } from "./startup.js";

const builds = process.argv.slice(2).map((arg) => {
  const [name, main] = arg.split("=");
  if (!name || !main) throw new Error(`expected <name>=<main.js>, got ${arg}`);
  return { name, main };
});
const rounds = Number(process.env.BENCH_STARTS ?? 9);
const idleMs = Number(process.env.BENCH_IDLE_MS ?? 1000);
const tmp = makeTmpDir("startup-variants");
const bind = new Map<string, number[]>();
const rss = new Map<string, number[]>();
try {
  const entries = [{ name: "bare", main: BARE }, ...builds];
  for (let round = 0; round < rounds; round++) {
    const dir = path.join(tmp.dir, `r${round}`);
    mkdirSync(dir, { recursive: true });
    const env = startupEnv(dir);
    const order = entries.map((_, i) => entries[(i + round) % entries.length]!);
    const got = new Map<string, { bindMs: number; idleRssMiB: number }>();
    for (const e of order) {
      const sock = path.join(dir, e.name === "bare" ? "bare.sock" : "keyless.sock");
      const args = e.name === "bare" ? [e.main, sock] : [e.main, "serve"];
      got.set(e.name, await startOnce(args, sock, env, idleMs));
    }
    const base = got.get("bare")!;
    for (const [name, s] of got) {
      bind.set(name, [...(bind.get(name) ?? []), s.bindMs / base.bindMs]);
      rss.set(name, [...(rss.get(name) ?? []), s.idleRssMiB / base.idleRssMiB]);
      if (name === "bare") {
        bind.set("bare ms", [...(bind.get("bare ms") ?? []), s.bindMs]);
        rss.set("bare ms", [...(rss.get("bare ms") ?? []), s.idleRssMiB]);
      }
    }
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
  console.log(`${rounds} rounds; ratio to the bare server of the same round: median (quartiles)`);
  for (const name of ["bare ms", ...builds.map((b) => b.name)]) {
    const b = bind.get(name)!;
    const r = rss.get(name)!;
    const f = (xs: number[], d: number) =>
      `${median(xs).toFixed(d)} (${q(xs, 0.25).toFixed(d)}-${q(xs, 0.75).toFixed(d)})`;
    console.log(
      name === "bare ms"
        ? `  bare: bind ${f(b, 0)} ms   idle RSS ${f(r, 1)} MiB`
        : `  ${name.padEnd(20)} bind ${f(b, 2)}x   idle RSS ${f(r, 2)}x`,
    );
  }
} finally {
  tmp.cleanup();
}
