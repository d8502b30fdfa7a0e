/**
 * Turns Microsoft Entra ID's refusal of a workload identity token exchange into a KeylessError that names
 * the identity and the fix. Entra identifies each refusal by an AADSTS number, which MSAL passes on inside
 * its message (`... AADSTS70021: ...`); that number and MSAL's own error code are the only things read
 * from the text, and the text itself (which echoes request details) is never passed on.
 */
import { causeChain } from "../errors/causeChain.js";
import { errors } from "../errors/catalog.js";
import type { KeylessError } from "../errors/keylessError.js";
import type { AssertionClaims } from "./federatedToken.js";
import { describeWorkload, type WorkloadSettings } from "./workloadSettings.js";

/** MSAL's code when it could not read the authority's OpenID configuration (unknown tenant, unreachable). */
const ENDPOINTS_UNRESOLVED = "endpoints_resolution_error";

/** Federated-credential mismatches: AADSTS70021 and its newer, more specific variants. */
const NO_FEDERATED_CREDENTIAL = new Set([70021, 700211, 700212, 700213, 7002137, 7002138]);

function texts(e: unknown): string[] {
  return causeChain(e)
    .filter((cur): cur is Error => cur instanceof Error)
    .map((cur) => cur.message);
}

/** The AADSTS number of an Entra refusal carried by `e`, if any. */
export function aadstsCode(e: unknown): number | undefined {
  for (const t of texts(e)) {
    const m = /\bAADSTS(\d{5,8})\b/.exec(t);
    if (m) return Number(m[1]);
  }
  return undefined;
}

export function entraFailure(
  s: WorkloadSettings,
  scope: string,
  presented: AssertionClaims | undefined,
  e: unknown,
  requestedTenant?: string,
): KeylessError {
  const who = describeWorkload(s);
  const code = aadstsCode(e);
  const refused = (kind: "IDENTITY_UNKNOWN" | "IDENTITY_FAILED", problem: string, fix: string) =>
    errors.entraRefused(who, scope, kind, problem, fix, e);
  // Key Vault's challenge names the vault's tenant; the SDK refuses to cross tenants before any request.
  if (requestedTenant && requestedTenant.toLowerCase() !== s.tenantId.toLowerCase()) {
    return refused(
      "IDENTITY_UNKNOWN",
      `the resource belongs to tenant ${requestedTenant}, not to the identity's tenant ${s.tenantId}`,
      `check ${s.tenantIdFrom} (az account show --query tenantId): it must be the tenant of the identity and the resource`,
    );
  }
  if (code === 90002 || (code === undefined && texts(e).some((t) => t.includes(ENDPOINTS_UNRESOLVED)))) {
    return refused(
      "IDENTITY_UNKNOWN",
      `Microsoft Entra ID at ${s.authorityHost} does not know tenant ${s.tenantId}${code ? " (AADSTS90002)" : " (or cannot be reached)"}`,
      `check ${s.tenantIdFrom} (az account show --query tenantId) and AZURE_AUTHORITY_HOST`,
    );
  }
  if (code === 700016) {
    return refused(
      "IDENTITY_UNKNOWN",
      `tenant ${s.tenantId} has no application or managed identity with client id ${s.clientId} (AADSTS700016)`,
      `check ${s.clientIdFrom}: it must be the identity's client id (az identity show -n <name> -g <group> --query clientId)`,
    );
  }
  if (code !== undefined && NO_FEDERATED_CREDENTIAL.has(code)) {
    const claims = presented
      ? `issuer ${presented.issuer}, subject ${presented.subject}, audience ${presented.audiences.join(",")}`
      : "the token's issuer, subject and audience";
    return refused(
      "IDENTITY_UNKNOWN",
      `no federated credential of this identity matches the service account token from ${s.tokenFile} (${claims}) (AADSTS${code})`,
      `add one: az identity federated-credential create --identity-name <name> -g <group> --name <fic> ` +
        `--issuer ${presented?.issuer || "<cluster OIDC issuer>"} --subject ${presented?.subject || "system:serviceaccount:<namespace>:<service account>"} --audience api://AzureADTokenExchange`,
    );
  }
  if (code === 700024) {
    return refused(
      "IDENTITY_FAILED",
      `Entra ID says the service account token from ${s.tokenFile} is expired or not yet valid (AADSTS700024)`,
      "the kubelet rewrites the token before it expires: check the projected token volume and the node's clock",
    );
  }
  if (code === 700027 || code === 50027) {
    return refused(
      "IDENTITY_FAILED",
      `Entra ID could not verify the service account token from ${s.tokenFile} (AADSTS${code})`,
      "the federated credential's issuer must be this cluster's OIDC issuer (az aks show --query oidcIssuerProfile.issuerUrl), and the token must come from that cluster",
    );
  }
  return refused(
    "IDENTITY_FAILED",
    `Microsoft Entra ID at ${s.authorityHost} issued no token${code ? ` (AADSTS${code})` : ""}`,
    code
      ? `look up AADSTS${code} at https://login.microsoftonline.com/error`
      : `check that ${new URL(s.authorityHost).host} is reachable from the pod`,
  );
}
