/**
 * What a workload identity needs, resolved once per identity from the component metadata and the
 * environment the Azure Workload Identity webhook sets: the component's azureClientId / azureTenantId win
 * over AZURE_CLIENT_ID / AZURE_TENANT_ID, so one pod can hold several identities; the token file and the
 * authority come from AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST.
 */
import { identityErrors, workloadSettingProblem, type WorkloadSettingMissing } from "../errors/identity.js";
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

export { describeWorkload } from "../errors/identity.js";

/** The first setting that is missing or wrong, and how to provide it (also shown by keyless doctor). */
export function settingsProblem(
  spec: Workload,
  env: NodeJS.ProcessEnv,
): { problem: string; fix: string } | undefined {
  const missing = missingSetting(spec, env);
  return missing && workloadSettingProblem(missing);
}

function missingSetting(spec: Workload, env: NodeJS.ProcessEnv): WorkloadSettingMissing | undefined {
  if (!(spec.clientId ?? env.AZURE_CLIENT_ID)) return { kind: "noClientId" };
  if (!(spec.tenantId ?? env.AZURE_TENANT_ID)) return { kind: "noTenantId" };
  if (!env.AZURE_FEDERATED_TOKEN_FILE) return { kind: "noTokenFile" };
  const host = authorityHostOf(env);
  if (!URL.canParse(host) || new URL(host).protocol !== "https:")
    return { kind: "authorityNotHttps", host, defaultAuthority: DEFAULT_AUTHORITY };
  return undefined;
}

const authorityHostOf = (env: NodeJS.ProcessEnv) =>
  (env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY).replace(/\/+$/, "");

export function workloadSettings(spec: Workload, env: NodeJS.ProcessEnv): WorkloadSettings | KeylessError {
  const clientId = spec.clientId ?? env.AZURE_CLIENT_ID;
  const missing = missingSetting(spec, env);
  if (missing) return identityErrors.workloadIdentityNotConfigured({ clientId, missing });
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
