/**
 * Allow-list redaction for component metadata: a value is shown only when its key is known to be
 * harmless. Anything else (connection strings, account keys, unknown keys) is logged as "[redacted]".
 */
const SAFE_KEYS = new Set([
  "sources",
  "secretsFile",
  "nestedSeparator",
  "multiValued",
  "envPrefix",
  "backend",
  "path",
  "tableName",
  "synchronous",
  "busyTimeout",
  "ttlCleanupInterval",
  "maxValueBytes",
  "keyPrefix",
  "actorStateStore",
  "allowUnknownMetadata",
  "vaultName",
  "vaultUri",
  "azureClientId",
  "azureManagedIdentityResourceId",
  "azureObjectId",
  "azureTenantId",
  "azureEnvironment",
  "azureCredential",
  "cacheTTL",
  "staleIfError",
  "negativeCacheTTL",
  "requestTimeout",
  "nameMapping",
  "secretsMountPath",
  "containerAppManifest",
  "allowedSecrets",
  "deniedSecrets",
  "skipCreateTable",
  "tableEndpoint",
  "accountName",
]);

export const REDACTED = "[redacted]";

export function redactMetadata(props: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) out[k] = SAFE_KEYS.has(k) ? v : REDACTED;
  return out;
}
