/**
 * A component kind whose module loads (through loadRuntime()) on the first Init or restore of an instance,
 * not at start-up: the kinds pull in zod and YAML, ~30 ms and ~7 MiB that would otherwise delay the socket
 * bind daprd looks for once (docs/performance.md, Start-up). Everything but `category` and `build` is read
 * only once an instance exists, so only after the module has loaded.
 */
import type { ComponentKind } from "./kind.js";

export function lazyKind<T>(
  category: ComponentKind<T>["category"],
  load: () => Promise<ComponentKind<T>>,
): ComponentKind<T> {
  let loaded: ComponentKind<T> | undefined;
  let loading: Promise<ComponentKind<T>> | undefined;
  const get = async () => (loaded ??= await (loading ??= load()));
  const now = (): ComponentKind<T> => {
    // Unreachable through the registry, which reads these only for an instance it has built.
    if (!loaded) throw new Error(`keyless: the ${category} kind was used before any instance was built`);
    return loaded;
  };
  return {
    category,
    get features() {
      return now().features;
    },
    featuresOf: (instance) => now().featuresOf?.(instance) ?? [],
    get metadata() {
      return now().metadata;
    },
    build: async (props, ctx) => (await get()).build(props, ctx),
    close: async (instance) => (await get()).close(instance),
  };
}
