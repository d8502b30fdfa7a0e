/** The `secretstores.keyless` component kind: metadata -> SecretStore with its ordered source chain. */
import path from "node:path";
import { secretErrors } from "../errors/secrets.js";
import { requireValidMetadata, type BuildContext, type ComponentKind } from "../components/kind.js";
import { identityFromMetadata, identityKey, type IdentitySpec } from "../identity/identitySpec.js";
import { parseSecretMetadata, secretStoreMetadata, type SecretMetadata } from "../metadata/secretMetadata.js";
import { CachedSource } from "./cache.js";
import type { SecretSource } from "./source.js";
import { createContainerAppSource, loadContainerAppManifest } from "./sources/containerapp.js";
import { createEnvSource } from "./sources/env.js";
import { createFileSource } from "./sources/file.js";
import { SecretStore } from "./store.js";
import {
  FailoverSource,
  loadKeyVaultSource,
  startRotationReader,
  toKeyVaultName,
  type RotationReader,
} from "./sources/keyvault/index.js";

/** The rotation reader of each store that has one, stopped when the store closes. */
const readers = new WeakMap<SecretStore, RotationReader>();

export const secretStoreKind: ComponentKind<SecretStore> = {
  category: "secretstores",
  features: [],
  featuresOf: (store) => (store.multiValued ? ["MULTIPLE_KEY_VALUES_PER_SECRET"] : []),
  metadata: secretStoreMetadata,
  async build(props, ctx) {
    const md = requireValidMetadata("secretstores.keyless", parseSecretMetadata(props), ctx);
    const sources: SecretSource[] = [];
    for (const kind of md.sources) sources.push(await buildSource(kind, md, ctx));
    const rotation = md.rotationQueueUrl ? await rotationFor(md, sources, ctx) : undefined;
    const store = new SecretStore(
      ctx.instance,
      sources,
      {
        ...(md.allowedSecrets && { allowed: md.allowedSecrets }),
        ...(md.deniedSecrets && { denied: md.deniedSecrets }),
      },
      md.multiValued && (md.sources.includes("file") || md.sources.includes("keyvault")),
      ctx.metrics,
    );
    ctx.log.info(
      { sources: store.sourceNames, identity: identityKey(identityFromMetadata(md)) },
      "secret store ready",
    );
    if (rotation) readers.set(store, rotation);
    return store;
  },
  close: async (store) => {
    await readers.get(store)?.stop();
    await store.close();
  },
};

async function rotationFor(md: SecretMetadata, sources: SecretSource[], ctx: BuildContext) {
  const vaults = sources.filter((s): s is CachedSource => s instanceof CachedSource);
  return startRotationReader(
    {
      queueUrl: md.rotationQueueUrl!,
      vaultUrls: md.vaultUrls,
      credential: ctx.credentials.get(identityFromMetadata(md)),
      target: {
        refreshByVaultName: async (vaultName) => {
          const counts = await Promise.all(
            vaults.map((v) =>
              v.refreshWhere(
                (n) => toKeyVaultName(n, md.nameMapping)?.toLowerCase() === vaultName.toLowerCase(),
              ),
            ),
          );
          return counts.reduce((a, b) => a + b, 0);
        },
      },
    },
    ctx,
  );
}

function cached(source: SecretSource, md: SecretMetadata, ctx: BuildContext): SecretSource {
  return new CachedSource(source, {
    ttlMs: md.cacheTTL,
    staleIfErrorMs: md.staleIfError,
    negativeTtlMs: md.negativeCacheTTL,
    maxEntries: 10_000,
    now: ctx.now,
    instance: ctx.instance,
    log: ctx.log,
    ...(ctx.metrics && { metrics: ctx.metrics }),
    refreshAhead: "timer",
  });
}

/** The vaults in order (one, or several that fail over), read with one identity, behind the cache. */
async function keyVault(
  vaultUrls: readonly string[],
  spec: IdentitySpec,
  md: SecretMetadata,
  ctx: BuildContext,
): Promise<SecretSource> {
  const credential = ctx.credentials.get(spec);
  // The Key Vault SDK loads with the first store that reads a vault.
  const one = (vaultUrl: string) =>
    loadKeyVaultSource({
      instance: ctx.instance,
      vaultUrl,
      credential,
      nameMapping: md.nameMapping,
      timeoutMs: md.requestTimeout,
      log: ctx.log,
      certificateParts: md.multiValued,
      ...(ctx.metrics && { metrics: ctx.metrics }),
    });
  const sources = await Promise.all(vaultUrls.map(one));
  const source =
    sources.length === 1
      ? sources[0]!
      : new FailoverSource(
          vaultUrls.map((u, i) => ({ host: new URL(u).host, source: sources[i]! })),
          {
            instance: ctx.instance,
            log: ctx.log,
            now: ctx.now,
            ...(ctx.metrics && { metrics: ctx.metrics }),
          },
        );
  return cached(source, md, ctx);
}

/** One source of the chain, as `serve` builds it (also used by `keyless doctor`). */
export async function buildSource(
  kind: SecretMetadata["sources"][number],
  md: SecretMetadata,
  ctx: BuildContext,
) {
  switch (kind) {
    case "file":
      return createFileSource({
        instance: ctx.instance,
        file: md.secretsFile!,
        separator: md.nestedSeparator,
        baseDir: ctx.baseDir,
        multiValued: md.multiValued,
      });
    case "env":
      return createEnvSource({ prefix: md.envPrefix!, env: ctx.env });
    case "keyvault":
      return keyVault(md.vaultUrls, identityFromMetadata(md), md, ctx);
    case "containerapp": {
      const manifest = md.containerAppManifest
        ? await loadContainerAppManifest(ctx.instance, path.resolve(ctx.baseDir, md.containerAppManifest))
        : undefined;
      // Key Vault references in the manifest use the identity the manifest names, one source per
      // (vault, identity), created on first use.
      const refSources = new Map<string, Promise<SecretSource>>();
      return createContainerAppSource({
        instance: ctx.instance,
        ...(md.secretsMountPath && { mountPath: path.resolve(ctx.baseDir, md.secretsMountPath) }),
        ...(manifest && { manifest }),
        env: ctx.env,
        log: ctx.log,
        resolveKeyVaultRef: async ({ secret, keyVaultUrl, identity }) => {
          const ref = parseKeyVaultSecretUrl(keyVaultUrl);
          if (!ref) {
            throw secretErrors.sourceFailed({
              instance: ctx.instance,
              source: "containerapp",
              name: secret,
              reason: "its keyVaultUrl is not a Key Vault secret URL",
            });
          }
          const spec: IdentitySpec =
            identity.toLowerCase() === "system"
              ? { kind: "managed", by: "system" }
              : { kind: "managed", by: "resourceId", id: identity };
          const key = `${ref.vaultUrl}|${identityKey(spec)}`;
          let src = refSources.get(key);
          if (!src) {
            // Container Apps hands a referenced certificate over as its raw value; so does keyless.
            src = keyVault([ref.vaultUrl], spec, { ...md, nameMapping: "none", multiValued: false }, ctx);
            refSources.set(key, src);
          }
          return (await src).get(ref.name, ref.version ? { version: ref.version } : undefined);
        },
      });
    }
  }
}

/** `https://<vault>/secrets/<name>[/<version>]` -> its parts, or undefined. */
export function parseKeyVaultSecretUrl(
  url: string,
): { vaultUrl: string; name: string; version?: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== "https:") return undefined;
  const parts = u.pathname.split("/").filter(Boolean);
  if (parts[0] !== "secrets" || !parts[1] || parts.length > 3) return undefined;
  return { vaultUrl: u.origin, name: decodeURIComponent(parts[1]), ...(parts[2] && { version: parts[2] }) };
}
