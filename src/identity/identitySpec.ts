/**
 * Which identity an instance uses, chosen explicitly from its metadata (never by probing):
 * user-assigned managed identity by client id, resource id or object id; system-assigned when none is
 * given; workload identity; or, for local development only and only when asked, the Azure CLI login or
 * DefaultAzureCredential.
 */
export type IdentitySpec =
  | { kind: "managed"; by: "clientId" | "resourceId" | "objectId"; id: string }
  | { kind: "managed"; by: "system" }
  | { kind: "workload"; clientId?: string; tenantId?: string }
  | { kind: "cli"; tenantId?: string }
  | { kind: "default"; clientId?: string };

/** One credential (and one token cache) per key, shared by every instance naming that identity. */
export function identityKey(spec: IdentitySpec): string {
  switch (spec.kind) {
    case "managed":
      return spec.by === "system" ? "mi:system" : `mi:${spec.by}:${spec.id.toLowerCase()}`;
    case "workload":
      return `wi:${spec.clientId ?? "env"}:${spec.tenantId ?? "env"}`;
    case "cli":
      return `cli:${spec.tenantId ?? "default"}`;
    case "default":
      return `default:${spec.clientId ?? "none"}`;
  }
}

/** Human wording for errors and doctor output; ids are not secrets and are shown in full. */
export function describeIdentity(spec: IdentitySpec): string {
  switch (spec.kind) {
    case "managed":
      switch (spec.by) {
        case "system":
          return "the system-assigned managed identity";
        case "clientId":
          return `the user-assigned managed identity with client id ${spec.id}`;
        case "resourceId":
          return `the user-assigned managed identity ${spec.id}`;
        case "objectId":
          return `the user-assigned managed identity with object id ${spec.id}`;
      }
    // falls through: the inner switch is exhaustive
    case "workload":
      return `workload identity${spec.clientId ? ` (client id ${spec.clientId})` : ""}`;
    case "cli":
      return "the Azure CLI login (local development)";
    case "default":
      return "DefaultAzureCredential (local development)";
  }
}

export interface IdentityMetadata {
  azureClientId?: string | undefined;
  azureManagedIdentityResourceId?: string | undefined;
  azureObjectId?: string | undefined;
  azureTenantId?: string | undefined;
  azureCredential?: "managedidentity" | "workloadidentity" | "cli" | "default" | undefined;
}

/** Picks the identity; the metadata schema has already made the three id fields mutually exclusive. */
export function identityFromMetadata(md: IdentityMetadata): IdentitySpec {
  const kind = md.azureCredential ?? "managedidentity";
  if (kind === "workloadidentity") {
    return {
      kind: "workload",
      ...(md.azureClientId && { clientId: md.azureClientId }),
      ...(md.azureTenantId && { tenantId: md.azureTenantId }),
    };
  }
  if (kind === "cli") return { kind: "cli", ...(md.azureTenantId && { tenantId: md.azureTenantId }) };
  if (kind === "default") return { kind: "default", ...(md.azureClientId && { clientId: md.azureClientId }) };
  if (md.azureClientId) return { kind: "managed", by: "clientId", id: md.azureClientId };
  if (md.azureManagedIdentityResourceId)
    return { kind: "managed", by: "resourceId", id: md.azureManagedIdentityResourceId };
  if (md.azureObjectId) return { kind: "managed", by: "objectId", id: md.azureObjectId };
  return { kind: "managed", by: "system" };
}
