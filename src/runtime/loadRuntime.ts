/**
 * The one door from the boot set to the rest of keyless. Everything before the socket is bound (main.ts,
 * server/ and the few modules they import, declared in eslint.config.js) may reach runtime.ts only through
 * this `import()`, so one static import in the wrong file cannot pull the kinds, zod, YAML, proto-loader or
 * server reflection in ahead of the bind daprd looks for once. Loaded once, on the first Init, restore or
 * reflection call; a failed load is kept, as a failed module import is.
 */
import type * as RuntimeModule from "./runtime.js";

export type Runtime = typeof RuntimeModule;

let loading: Promise<Runtime> | undefined;

export function loadRuntime(): Promise<Runtime> {
  return (loading ??= import("./runtime.js"));
}
