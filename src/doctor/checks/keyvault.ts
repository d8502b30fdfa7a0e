/**
 * The keyvault source: the identity's token for Key Vault, then each vault read through the source as serve
 * builds it (cache, timeouts, name mapping), then the rotation queue when one is configured.
 */
import { FIX_VAULT_REACH } from "../../errors/secrets.js";
import { identityFromMetadata, type IdentitySpec } from "../../identity/identitySpec.js";
import { KEY_VAULT_SCOPE, STORAGE_SCOPE } from "../../identity/tokenScopes.js";
import type { SecretMetadata } from "../../metadata/secretMetadata.js";
import type { DoctorContext } from "../doctorContext.js";
import type { ComponentDoc } from "../loadComponents.js";
import type { Check } from "../report.js";
import { failedCheck } from "./failedCheck.js";
import type { SourceCheck } from "./sourceCheck.js";
import { tokenCheck } from "./token.js";
import { workloadIdentityChecks } from "./workloadIdentity.js";

export const keyvaultCheck: SourceCheck = async ({ component, md, doctor }) => {
  const spec = identityFromMetadata(md);
  const checks = await workloadIdentityChecks(spec, doctor.env);
  const token = await tokenCheck(doctor, spec, KEY_VAULT_SCOPE);
  checks.push(token);
  if (token.status !== "ok") return { identity: spec, checks };
  // Every vault of a failover store is checked alone: failover would hide a broken one.
  for (const vaultUrl of md.vaultUrls) checks.push(await vaultCheck(doctor, component, md, vaultUrl));
  if (md.rotationQueueUrl) checks.push(await queueCheck(doctor, component, spec, md.rotationQueueUrl));
  return { identity: spec, checks };
};

async function vaultCheck(
  doctor: DoctorContext,
  c: ComponentDoc,
  md: SecretMetadata,
  vaultUrl: string,
): Promise<Check> {
  const name = `vault ${vaultUrl}`;
  try {
    const one = { ...md, vaultUrl, vaultUrls: [vaultUrl] };
    const source = await doctor.buildSource("keyvault", one, doctor.buildContext(c.name));
    const some = await source.list({ maxResults: 1 });
    return {
      name,
      status: "ok",
      detail: `reachable; the identity may list and read secrets (${some.size > 0 ? "read one" : "the vault is empty"})`,
    };
  } catch (e) {
    return failedCheck(name, e, {
      unexpected: "the vault check failed unexpectedly",
      fix: FIX_VAULT_REACH,
    });
  }
}

/** The queue is read with the store's identity, so its token for Storage comes first. */
async function queueCheck(
  doctor: DoctorContext,
  c: ComponentDoc,
  spec: IdentitySpec,
  queueUrl: string,
): Promise<Check> {
  const token = await tokenCheck(doctor, spec, STORAGE_SCOPE);
  if (token.status !== "ok") return token;
  return doctor.rotationQueue(c.name, queueUrl, doctor.credentials.get(spec));
}
