/**
 * One keyless process and one daprd per test file, wired through a private socket folder, with YAMLs
 * copied from the repo's components/ folder plus any extra ones a test needs.
 */
import path from "node:path";
import { startDaprd, writeResources, type Daprd } from "../helpers/daprd.js";
import { startKeyless, type KeylessProcess, type KeylessOptions } from "../helpers/keyless.js";
import { makeTmpDir } from "../helpers/tmp.js";

export interface Stack {
  tmp: string;
  socketDir: string;
  dataDir: string;
  keyless: KeylessProcess;
  daprd: Daprd;
  /** Restarts keyless (daprd keeps running) with the same socket and data folders. */
  restartKeyless(signal?: NodeJS.Signals): Promise<KeylessProcess>;
  stop(): Promise<void>;
}

export interface StackOptions {
  tag: string;
  components: string[];
  extra?: Record<string, string>;
  keylessEnv?: Record<string, string>;
  keylessUmask?: string;
  appId?: string;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const t = makeTmpDir(opts.tag);
  const socketDir = path.join(t.dir, "sock");
  const dataDir = path.join(t.dir, "data");
  const resources = writeResources(path.join(t.dir, "resources"), opts.components, opts.extra);
  const keylessOpts: KeylessOptions = {
    socketDir,
    dataDir,
    ...(opts.keylessEnv ? { env: opts.keylessEnv } : {}),
    ...(opts.keylessUmask ? { umask: opts.keylessUmask } : {}),
  };
  // keyless must be listening before daprd starts: daprd scans the socket folder once.
  let keyless = await startKeyless(keylessOpts);
  const daprd = await startDaprd({
    socketDir,
    resourcesDir: resources,
    ...(opts.appId ? { appId: opts.appId } : {}),
  });
  const stack: Stack = {
    tmp: t.dir,
    socketDir,
    dataDir,
    keyless,
    daprd,
    async restartKeyless(signal = "SIGTERM") {
      await keyless.stop(signal);
      keyless = await startKeyless(keylessOpts);
      stack.keyless = keyless;
      return keyless;
    },
    async stop() {
      await daprd.stop();
      await keyless.stop();
      t.cleanup();
    },
  };
  return stack;
}
