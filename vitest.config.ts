import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { ensureTestTls } from "./dev/tls.js";

// The stand-ins serve HTTPS with a test CA. Node reads NODE_EXTRA_CA_CERTS once at start-up, so it is
// set here, before vitest forks its workers (and inherited by every keyless process the tests spawn).
const tls = ensureTestTls(path.resolve(".test-tmp/tls"));
process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
process.env.KEYLESS_TEST_TLS_DIR = tls.dir;

// The whole-suite record (test/helpers/suiteRecord.ts): one fresh folder per run (so a second vitest started
// meanwhile never touches this run's record), inherited by the workers; the last project scans it. Records of
// runs that ended more than a day ago are removed.
const records = path.resolve(".test-tmp/suite-record");
mkdirSync(records, { recursive: true });
for (const old of readdirSync(records)) {
  const p = path.join(records, old);
  if (Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { recursive: true, force: true });
}
process.env.KEYLESS_SUITE_RECORD_DIR ??= path.join(records, `run-${Date.now()}-${process.pid}`);

export default defineConfig({
  test: {
    // @dapr/dapr's workflow worker logs every work item at info, with no way to lower it; its warnings stay.
    onConsoleLog: (log) => !/ INFO \[DurableTask, /.test(log),
    projects: [
      // unit needs nothing but Node: no Azurite, no stand-in server, no built dist/.
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      // The stand-ins and Azurite, in this process; the same group as unit, so both share the cores as before.
      {
        test: {
          name: "integration",
          sequence: { groupOrder: 0 },
          include: ["test/standins/**/*.test.ts", "test/integration/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          sequence: { groupOrder: 1 },
          include: ["test/socket/**/*.test.ts", "test/e2e/**/*.test.ts", "test/conformance/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Each file starts its own keyless + daprd; two at a time fit 2 cores.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        test: {
          name: "suite-scan",
          sequence: { groupOrder: 2 },
          include: ["test/suite/**/*.test.ts"],
        },
      },
    ],
  },
});
