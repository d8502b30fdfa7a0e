/**
 * The heap that is still reachable: used bytes right after full collections (needs --expose-gc, which
 * vitest.config.ts gives the unit workers). RSS would say more about the allocator than about leaks.
 */
import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | undefined = globalThis.gc;

export function liveHeap(): number {
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
