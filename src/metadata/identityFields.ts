/**
 * The metadata fields that name an identity, shared by both component types, and the check that at most
 * one of the three ids is given.
 */
import { z } from "zod";
import { setting } from "./declaration.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const identityFields = {
  azureClientId: setting(
    z.string().trim().regex(GUID, "must be a GUID (the identity's client id)").optional(),
  ),
  azureManagedIdentityResourceId: setting(
    z
      .string()
      .trim()
      .regex(
        /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i,
        "must be the ARM id of a user-assigned identity",
      )
      .optional(),
  ),
  azureObjectId: setting(
    z.string().trim().regex(GUID, "must be a GUID (the identity's object/principal id)").optional(),
  ),
  azureTenantId: setting(z.string().trim().regex(GUID, "must be a GUID").optional()),
  azureCredential: setting(
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(
        z.enum(["managedidentity", "workloadidentity", "cli", "default"], {
          message: "must be managedidentity, workloadidentity, cli or default",
        }),
      )
      .optional(),
  ),
  azureEnvironment: setting(
    z
      .string()
      .transform((v) => v.toLowerCase().replace(/cloud$/, "") + "cloud")
      .pipe(
        z.enum(["azurepubliccloud", "azurechinacloud", "azureusgovernmentcloud"], {
          message: "must be AzurePublicCloud, AzureChinaCloud or AzureUSGovernmentCloud",
        }),
      )
      .optional()
      .default("azurepubliccloud"),
  ),
};

export function identityProblems(v: {
  azureClientId?: string | undefined;
  azureManagedIdentityResourceId?: string | undefined;
  azureObjectId?: string | undefined;
}): string[] {
  const ids = (["azureClientId", "azureManagedIdentityResourceId", "azureObjectId"] as const).filter(
    (k) => v[k],
  );
  return ids.length > 1
    ? [`${ids.join(", ")}: give at most one of them; they all name the identity to use`]
    : [];
}
