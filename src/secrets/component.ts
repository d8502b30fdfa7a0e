/** The `secretstores.keyless` component kind: metadata -> SecretStore with its ordered source chain. */
import { errors } from "../errors/catalog.js";
import type { ComponentKind } from "../components/kind.js";
import { parseSecretMetadata, SECRET_STORE_SECRET_KEYS } from "../metadata/secretMetadata.js";
import type { SecretSource } from "./source.js";
import { createEnvSource } from "./sources/env.js";
import { createFileSource } from "./sources/file.js";
import { SecretStore } from "./store.js";

export const secretStoreKind: ComponentKind<SecretStore> = {
  category: "secretstores",
  features: [],
  secretKeys: SECRET_STORE_SECRET_KEYS,
  async build(props, ctx) {
    const parsed = parseSecretMetadata(props);
    if (!parsed.value || parsed.problems.length > 0) {
      throw errors.metadataInvalid("secretstores.keyless", ctx.instance, parsed.problems);
    }
    const md = parsed.value;
    for (const k of parsed.unknownKeys) ctx.log.warn({ key: k }, "ignoring unknown metadata key");
    const sources: SecretSource[] = [];
    for (const kind of md.sources) {
      switch (kind) {
        case "file":
          sources.push(
            await createFileSource({
              instance: ctx.instance,
              file: md.secretsFile!,
              separator: md.nestedSeparator,
              baseDir: ctx.baseDir,
            }),
          );
          break;
        case "env":
          sources.push(createEnvSource({ prefix: md.envPrefix!, env: ctx.env }));
          break;
      }
    }
    const store = new SecretStore(ctx.instance, sources);
    ctx.log.info({ sources: store.sourceNames }, "secret store ready");
    return store;
  },
  close: (store) => store.close(),
};
