/**
 * The Key Vault source's public surface: one vault (`loadKeyVaultSource`), several that fail over
 * (`FailoverSource`), and the vault's secret-name rule. Importing it loads no Azure SDK: the Key Vault
 * SDK loads with the first source built, so a store without a vault never pays for it.
 *
 * errors/catalog.ts imports keyVaultDomains.ts itself, not this index: the sources here word their
 * failures through the catalog, and going through the index would close a loop.
 */
import type { SecretSource } from "../../source.js";
import type { KeyVaultSourceOptions } from "./keyVaultSource.js";

export type { KeyVaultSourceOptions } from "./keyVaultSource.js";
export { FailoverSource, type FailoverOptions, type FailoverVault } from "./failover/failoverSource.js";
export { toKeyVaultName, type NameMapping } from "./keyVaultName.js";

/** The source for one vault; its errors are SOURCE_FAILED, as `createKeyVaultSource` words them. */
export async function loadKeyVaultSource(opts: KeyVaultSourceOptions): Promise<SecretSource> {
  const { createKeyVaultSource } = await import("./keyVaultSource.js");
  return createKeyVaultSource(opts);
}
