/**
 * Runs the compiled Go conformance suite (test/conformance-go) against a keyless started here, and
 * judges its result (verdict.ts). Usage: tsx test/conformance-go/run.ts <compiled test binary> [go test flags].
 * scripts/conformance-go.sh compiles the binary and calls this.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { ensureTestTls } from "../../dev/tls.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { expectedFailures } from "./expected.js";
import { startConformanceStack } from "./stack.js";
import { ConformanceVerdict, describeVerdict } from "./verdict.js";

const say = (m: string) => process.stderr.write(`[conformance-go] ${m}\n`);

async function main(): Promise<number> {
  const [binaryArg, ...goFlags] = process.argv.slice(2);
  if (!binaryArg) throw new Error("usage: run.ts <compiled conformance test binary> [test flags]");
  const binary = path.resolve(binaryArg);
  const outDir = path.join(REPO_ROOT, ".test-tmp/conformance-go");
  mkdirSync(outDir, { recursive: true });
  // The stand-ins and Azurite serve HTTPS with the suite's test CA; keyless (a child) trusts it.
  const tls = ensureTestTls(path.join(REPO_ROOT, ".test-tmp/tls"));
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
  process.env.KEYLESS_TEST_TLS_DIR = tls.dir;

  const stack = await startConformanceStack();
  try {
    const configFile = path.join(outDir, "config.json");
    writeFileSync(configFile, JSON.stringify(stack.config, null, 2));
    const verdict = new ConformanceVerdict(expectedFailures(stack.config), (l) =>
      process.stdout.write(`${l}\n`),
    );
    say(
      `running the suites: ${stack.config.state.length} state and ${stack.config.secretstores.length} secret store profiles`,
    );
    const exit = await runGoTest(binary, goFlags, configFile, (l) => verdict.addLine(l));
    const v = verdict.finish();
    for (const l of describeVerdict(v)) process.stdout.write(`${l}\n`);
    writeFileSync(path.join(outDir, "keyless.log"), `${stack.keyless.lines.join("\n")}\n`);
    if (!v.ok) say(`keyless's log: ${path.join(outDir, "keyless.log")}`);
    // A non-zero exit is explained only by the expected failures it holds.
    return v.ok && (exit === 0 || v.expected.length > 0) ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

/** Runs the test binary through test2json (what `go test -json` does), line by line. */
function runGoTest(binary: string, flags: string[], configFile: string, onLine: (l: string) => void) {
  const proc = spawn(
    "go",
    [
      "tool",
      "test2json",
      "-p",
      "keyless-conformance",
      binary,
      "-test.v=test2json",
      "-test.timeout=15m",
      ...flags,
    ],
    {
      cwd: path.dirname(binary),
      env: { ...process.env, KEYLESS_CONFORMANCE_CONFIG: configFile },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  readline.createInterface({ input: proc.stdout! }).on("line", onLine);
  return new Promise<number>((resolve, reject) => {
    proc.once("error", reject);
    proc.once("close", (code) => resolve(code ?? 1));
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
