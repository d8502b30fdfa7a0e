/**
 * `--cpu-prof` is refused in NODE_OPTIONS, so the benches profile keyless through this hook instead:
 * BENCH_KEYLESS_NODE_OPTIONS="--import=/abs/path/bench/cpuProfile.mjs" writes /tmp/keyless-<pid>.cpuprofile
 * (KEYLESS_CPU_PROFILE_DIR elsewhere, where the caller passes its environment through).
 * Starts the V8 profiler at load and writes a .cpuprofile when the process is told to stop.
 */
import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.env.KEYLESS_CPU_PROFILE_DIR ?? "/tmp";
const session = new Session();
session.connect();
session.post("Profiler.enable", () => session.post("Profiler.start"));
let written = false;
function write() {
  if (written) return;
  written = true;
  session.post("Profiler.stop", (err, res) => {
    if (!err) writeFileSync(path.join(dir, `keyless-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
}
process.prependListener("SIGTERM", write);
process.prependListener("SIGINT", write);
process.once("beforeExit", write);
