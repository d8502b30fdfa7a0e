/**
 * The Key Vault source's public surface: one vault (`loadKeyVaultSource`), several that fail over
 * (`FailoverSource`), the reader of a store's rotation events (`startRotationReader`), and the vault's
 * secret-name rule. Importing it loads no Azure SDK: the Key Vault SDK loads with the first source built
 * and @azure/storage-queue with the first rotation reader, so a store without them never pays for them.
 */
import type { BuildContext } from "../../../components/kind.js";
import type { SecretSource } from "../../source.js";
import type { KeyVaultSourceOptions } from "./keyVaultSource.js";
import type { RotationReader } from "./rotation/rotationReader.js";
import type { RotationSetup } from "./rotation/startRotation.js";

export type { KeyVaultSourceOptions } from "./keyVaultSource.js";
export { FailoverSource, type FailoverOptions, type FailoverVault } from "./failover/failoverSource.js";
export { toKeyVaultName, type NameMapping } from "./keyVaultName.js";
export { rotationQueueFailure } from "./rotation/queueFailure.js";
export type { RotationReader } from "./rotation/rotationReader.js";
export type { RotationSetup } from "./rotation/startRotation.js";

/** The source for one vault; its errors are SOURCE_FAILED, as `createKeyVaultSource` words them. */
export async function loadKeyVaultSource(opts: KeyVaultSourceOptions): Promise<SecretSource> {
  const { createKeyVaultSource } = await import("./keyVaultSource.js");
  return createKeyVaultSource(opts);
}

/** Starts reading a store's rotation queue (Key Vault events through Event Grid). */
export async function startRotationReader(setup: RotationSetup, ctx: BuildContext): Promise<RotationReader> {
  const { startRotation } = await import("./rotation/startRotation.js");
  return startRotation(setup, ctx);
}
