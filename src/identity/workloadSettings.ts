/**
 * What a workload identity needs, resolved once per identity from the component metadata and the
 * environment the Azure Workload Identity webhook sets: the component's azureClientId / azureTenantId win
 * over AZURE_CLIENT_ID / AZURE_TENANT_ID, so one pod can hold several identities; the token file and the
 * authority come from AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST.
 */
import { errors } from "../errors/catalog.js";
import type { KeylessError } from "../errors/keylessError.js";
import type { IdentitySpec } from "./identitySpec.js";

export interface WorkloadSettings {
  clientId: string;
  tenantId: string;
  tokenFile: string;
  authorityHost: string;
  /** Where the client id came from, for messages: "azureClientId" or "AZURE_CLIENT_ID". */
  clientIdFrom: string;
  tenantIdFrom: string;
  /**
   * MSAL asks login.microsoftonline.com to vouch for an authority it does not know; for a private authority
   * (Azure Stack, the local stand-in) the authority named in AZURE_AUTHORITY_HOST is trusted as it is.
   */
  disableInstanceDiscovery: boolean;
}

const DEFAULT_AUTHORITY = "https://login.microsoftonline.com";
/** Entra's public and sovereign cloud hosts, for which MSAL carries the metadata itself. */
const ENTRA_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoft.com",
  "login.windows.net",
  "sts.windows.net",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
  "login.microsoftonline.us",
  "login.usgovcloudapi.net",
]);

type Workload = Extract<IdentitySpec, { kind: "workload" }>;

/** Human wording for messages: which workload identity, and where its ids came from. */
export function describeWorkload(
  s: Pick<WorkloadSettings, "clientId" | "tenantId" | "clientIdFrom">,
): string {
  return `workload identity with client id ${s.clientId} (${s.clientIdFrom}) in tenant ${s.tenantId}`;
}

/** The first setting that is missing or wrong, and how to provide it (also shown by keyless doctor). */
export function settingsProblem(
  spec: Workload,
  env: NodeJS.ProcessEnv,
): { problem: string; fix: string } | undefined {
  if (!(spec.clientId ?? env.AZURE_CLIENT_ID))
    return {
      problem: "no client id",
      fix: "set azureClientId in the component metadata, or annotate the pod's service account with azure.workload.identity/client-id so the webhook sets AZURE_CLIENT_ID",
    };
  if (!(spec.tenantId ?? env.AZURE_TENANT_ID))
    return {
      problem: "no tenant id",
      fix: "set azureTenantId in the component metadata, or AZURE_TENANT_ID (the webhook sets it from its configuration)",
    };
  if (!env.AZURE_FEDERATED_TOKEN_FILE)
    return {
      problem: "AZURE_FEDERATED_TOKEN_FILE is not set",
      fix: 'label the pod azure.workload.identity/use: "true" so the webhook projects the service account token and sets the variable',
    };
  const host = authorityHostOf(env);
  if (!URL.canParse(host) || new URL(host).protocol !== "https:")
    return {
      problem: `AZURE_AUTHORITY_HOST ${JSON.stringify(host)} is not an https URL`,
      fix: `set it to ${DEFAULT_AUTHORITY}/ (or your cloud's authority), or leave it unset`,
    };
  return undefined;
}

const authorityHostOf = (env: NodeJS.ProcessEnv) =>
  (env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY).replace(/\/+$/, "");

export function workloadSettings(spec: Workload, env: NodeJS.ProcessEnv): WorkloadSettings | KeylessError {
  const clientId = spec.clientId ?? env.AZURE_CLIENT_ID;
  const wrong = settingsProblem(spec, env);
  if (wrong)
    return errors.workloadIdentityNotConfigured(
      `workload identity${clientId ? ` with client id ${clientId}` : ""}`,
      wrong.problem,
      wrong.fix,
    );
  const authorityHost = authorityHostOf(env);
  return {
    clientId: clientId!,
    tenantId: (spec.tenantId ?? env.AZURE_TENANT_ID)!,
    tokenFile: env.AZURE_FEDERATED_TOKEN_FILE!,
    authorityHost,
    clientIdFrom: spec.clientId ? "azureClientId" : "AZURE_CLIENT_ID",
    tenantIdFrom: spec.tenantId ? "azureTenantId" : "AZURE_TENANT_ID",
    disableInstanceDiscovery: !ENTRA_HOSTS.has(new URL(authorityHost).hostname.toLowerCase()),
  };
}
