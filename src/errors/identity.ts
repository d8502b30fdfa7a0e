/**
 * The wording of identity errors: a token endpoint that is unreachable, does not know the identity or
 * refuses it; a workload identity's settings and its projected token file; and Microsoft Entra ID's
 * refusals of a token exchange. Which refusal it was is decided in identity/ (classify.ts, entraFailure.ts,
 * workloadSettings.ts); the reasons below are what those may answer, and this file only words them.
 */
import type { AzureFailure } from "./azureFailureFacts.js";
import { KeylessError } from "./keylessError.js";

/** The settings of a workload identity that its messages name (identity/workloadSettings.ts has them all). */
export interface WorkloadNames {
  clientId: string;
  tenantId: string;
  clientIdFrom: string;
  tenantIdFrom: string;
  tokenFile: string;
  authorityHost: string;
}

/** Human wording for messages: which workload identity, and where its ids came from. */
export function describeWorkload(s: Pick<WorkloadNames, "clientId" | "tenantId" | "clientIdFrom">): string {
  return `workload identity with client id ${s.clientId} (${s.clientIdFrom}) in tenant ${s.tenantId}`;
}

/** The first workload identity setting that is missing or wrong, as identity/workloadSettings.ts finds it. */
export type WorkloadSettingMissing =
  | { kind: "noClientId" }
  | { kind: "noTenantId" }
  | { kind: "noTokenFile" }
  | { kind: "authorityNotHttps"; host: string; defaultAuthority: string };

/** What is wrong with a workload identity's settings, and how to provide them (keyless doctor shows it too). */
export function workloadSettingProblem(m: WorkloadSettingMissing): { problem: string; fix: string } {
  switch (m.kind) {
    case "noClientId":
      return {
        problem: "no client id",
        fix: "set azureClientId in the component metadata, or annotate the pod's service account with azure.workload.identity/client-id so the webhook sets AZURE_CLIENT_ID",
      };
    case "noTenantId":
      return {
        problem: "no tenant id",
        fix: "set azureTenantId in the component metadata, or AZURE_TENANT_ID (the webhook sets it from its configuration)",
      };
    case "noTokenFile":
      return {
        problem: "AZURE_FEDERATED_TOKEN_FILE is not set",
        fix: 'label the pod azure.workload.identity/use: "true" so the webhook projects the service account token and sets the variable',
      };
    case "authorityNotHttps":
      return {
        problem: `AZURE_AUTHORITY_HOST ${JSON.stringify(m.host)} is not an https URL`,
        fix: `set it to ${m.defaultAuthority}/ (or your cloud's authority), or leave it unset`,
      };
  }
}

/** Why Entra ID refused a workload identity's token exchange, as identity/entraFailure.ts decides it. */
export type EntraRefusal =
  /** Key Vault's challenge names the vault's tenant; the SDK refuses to cross tenants before any request. */
  | { kind: "otherTenant"; requestedTenant: string }
  | { kind: "tenantUnknown"; aadsts?: number }
  | { kind: "clientUnknown"; aadsts: number }
  | {
      kind: "noFederatedCredential";
      aadsts: number;
      presented: { issuer: string; subject: string; audiences: string[] } | undefined;
    }
  | { kind: "tokenNotValidNow"; aadsts: number }
  | { kind: "tokenUnverified"; aadsts: number }
  | { kind: "refused"; aadsts?: number };

function entraWording(
  r: EntraRefusal,
  s: WorkloadNames,
): { code: "IDENTITY_UNKNOWN" | "IDENTITY_FAILED"; problem: string; fix: string } {
  switch (r.kind) {
    case "otherTenant":
      return {
        code: "IDENTITY_UNKNOWN",
        problem: `the resource belongs to tenant ${r.requestedTenant}, not to the identity's tenant ${s.tenantId}`,
        fix: `check ${s.tenantIdFrom} (az account show --query tenantId): it must be the tenant of the identity and the resource`,
      };
    case "tenantUnknown":
      return {
        code: "IDENTITY_UNKNOWN",
        problem: `Microsoft Entra ID at ${s.authorityHost} does not know tenant ${s.tenantId}${r.aadsts ? ` (AADSTS${r.aadsts})` : " (or cannot be reached)"}`,
        fix: `check ${s.tenantIdFrom} (az account show --query tenantId) and AZURE_AUTHORITY_HOST`,
      };
    case "clientUnknown":
      return {
        code: "IDENTITY_UNKNOWN",
        problem: `tenant ${s.tenantId} has no application or managed identity with client id ${s.clientId} (AADSTS${r.aadsts})`,
        fix: `check ${s.clientIdFrom}: it must be the identity's client id (az identity show -n <name> -g <group> --query clientId)`,
      };
    case "noFederatedCredential": {
      const p = r.presented;
      const claims = p
        ? `issuer ${p.issuer}, subject ${p.subject}, audience ${p.audiences.join(",")}`
        : "the token's issuer, subject and audience";
      return {
        code: "IDENTITY_UNKNOWN",
        problem: `no federated credential of this identity matches the service account token from ${s.tokenFile} (${claims}) (AADSTS${r.aadsts})`,
        fix:
          `add one: az identity federated-credential create --identity-name <name> -g <group> --name <fic> ` +
          `--issuer ${p?.issuer || "<cluster OIDC issuer>"} --subject ${p?.subject || "system:serviceaccount:<namespace>:<service account>"} --audience api://AzureADTokenExchange`,
      };
    }
    case "tokenNotValidNow":
      return {
        code: "IDENTITY_FAILED",
        problem: `Entra ID says the service account token from ${s.tokenFile} is expired or not yet valid (AADSTS${r.aadsts})`,
        fix: "the kubelet rewrites the token before it expires: check the projected token volume and the node's clock",
      };
    case "tokenUnverified":
      return {
        code: "IDENTITY_FAILED",
        problem: `Entra ID could not verify the service account token from ${s.tokenFile} (AADSTS${r.aadsts})`,
        fix: "the federated credential's issuer must be this cluster's OIDC issuer (az aks show --query oidcIssuerProfile.issuerUrl), and the token must come from that cluster",
      };
    case "refused":
      return {
        code: "IDENTITY_FAILED",
        problem: `Microsoft Entra ID at ${s.authorityHost} issued no token${r.aadsts ? ` (AADSTS${r.aadsts})` : ""}`,
        fix: r.aadsts
          ? `look up AADSTS${r.aadsts} at https://login.microsoftonline.com/error`
          : `check that ${new URL(s.authorityHost).host} is reachable from the pod`,
      };
  }
}

export const identityErrors = {
  identityUnreachable: (scope: string, who: string, f: AzureFailure, cause: unknown) =>
    new KeylessError(
      "IDENTITY_UNREACHABLE",
      `token for ${scope} via ${who}: the identity endpoint is unreachable${f.errno ? ` (${f.errno})` : f.kind === "timeout" ? " (no answer in time)" : ""}; ` +
        `check that managed identity is enabled for this app (IDENTITY_ENDPOINT / IMDS)`,
      {
        cause,
        transient: true,
        fix: "managed identity is not available to keyless: enable it for the app (IDENTITY_ENDPOINT/IDENTITY_HEADER or IMDS must be reachable); on a laptop use azureCredential: cli",
      },
    ),
  identityUnknown: (scope: string, who: string, cause: unknown) =>
    new KeylessError(
      "IDENTITY_UNKNOWN",
      `token for ${scope} via ${who}: the identity endpoint does not know this identity; ` +
        `check that it is assigned to this app and that the id in the component metadata is right`,
      {
        cause,
        fix:
          `make sure ${who} is enabled for this app and assigned to it (az containerapp identity assign --system-assigned, ` +
          `or --user-assigned <resource id>); for a user-assigned identity, that the id in the component metadata is its id ` +
          `(az identity show -n <name> -g <group> --query clientId)`,
      },
    ),
  identityFailed: (scope: string, who: string, f: AzureFailure, cause: unknown) =>
    new KeylessError(
      "IDENTITY_FAILED",
      `token for ${scope} via ${who} failed${f.status ? ` (HTTP ${f.status})` : ""}${f.errorName ? ` [${f.errorName}]` : ""}`,
      {
        cause,
        transient: f.transient,
        // The refusal's own text stays in the cause: it may echo the request, so no message or log shows it.
        fix:
          `check that ${who} exists and may be used by this app; keyless shows only the HTTP status and error class of the refusal, ` +
          `as its text may echo the request (for the CLI login, az account get-access-token --scope ${scope} prints it)`,
      },
    ),
  /** A workload identity whose settings are missing or wrong; `clientId` when it has one. */
  workloadIdentityNotConfigured: (opts: {
    clientId: string | undefined;
    missing: WorkloadSettingMissing;
  }) => {
    const { problem, fix } = workloadSettingProblem(opts.missing);
    const who = `workload identity${opts.clientId ? ` with client id ${opts.clientId}` : ""}`;
    return new KeylessError("IDENTITY_FAILED", `${who}: ${problem}; ${fix}`, { fix });
  },
  /** The projected token file of workload identity `who` cannot be used (never its content). */
  federatedTokenUnusable: (opts: {
    who: string;
    file: string;
    problem: string;
    fix: string;
    cause?: unknown;
  }) =>
    new KeylessError(
      "IDENTITY_FAILED",
      `${opts.who}: the federated token file ${opts.file} ${opts.problem}; ${opts.fix}`,
      { cause: opts.cause, fix: opts.fix },
    ),
  /** Entra ID refused the token exchange of the workload identity `settings` for `scope`. */
  entraRefused: (opts: {
    scope: string;
    settings: WorkloadNames;
    refusal: EntraRefusal;
    cause?: unknown;
  }) => {
    const { code, problem, fix } = entraWording(opts.refusal, opts.settings);
    return new KeylessError(
      code,
      `token for ${opts.scope} via ${describeWorkload(opts.settings)}: ${problem}; ${fix}`,
      { cause: opts.cause, fix },
    );
  },
};
