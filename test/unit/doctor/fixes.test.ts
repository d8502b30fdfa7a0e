/** The fixes the doctor prints come from the catalog's errors; fixOf finds them under wrappers. */
import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { fixOf } from "../../../src/doctor/failureFacts.js";
import { describeAzureFailure } from "../../../src/errors/azureFailure.js";
import { errors } from "../../../src/errors/catalog.js";

const WHO = "the system-assigned managed identity";
const queueFailure = (statusCode: number, code: string) => {
  const e = new RestError(`HTTP ${statusCode}`, { statusCode, code });
  return errors.rotationQueueFailed(
    "kv",
    "acct.queue.core.windows.net/events",
    WHO,
    describeAzureFailure(e),
    e,
  );
};

describe("fixOf", () => {
  it("takes the outermost fix, skipping wrappers that carry none", () => {
    const inner = errors.identityUnknown("https://vault.azure.net", WHO, undefined);
    const outer = errors.sourceFailed("kv", "keyvault", "s", inner.message, inner);
    expect(outer.fix).toBeUndefined();
    expect(fixOf(outer)).toBe(inner.fix);
    expect(fixOf(errors.metadataInvalid("state.keyless", "st", ["x: bad"]))).toBe(
      "correct the component metadata as the message says",
    );
    expect(fixOf(new Error("foreign"))).toBeUndefined();
  });
});

describe("the catalog's fixes", () => {
  it("carry a workload identity's own fix instead of a managed identity's", () => {
    const e = errors.entraRefused(
      "workload identity",
      "https://vault.azure.net",
      "IDENTITY_UNKNOWN",
      "Entra ID does not know this client (AADSTS700016)",
      "check azureClientId",
    );
    expect(e.fix).toBe("check azureClientId");
  });

  it("name the queue's role, its creation, or its address", () => {
    expect(queueFailure(403, "AuthorizationPermissionMismatch").fix).toBe(
      `az role assignment create --role "Storage Queue Data Message Processor" --assignee <principal id of ${WHO}> --scope <resource id of the storage account>/queueServices/default/queues/events`,
    );
    expect(queueFailure(404, "QueueNotFound").fix).toMatch(
      /^az storage queue create --name events --account-name/,
    );
    expect(queueFailure(500, "InternalError").fix).toBe(
      "check rotationQueueAccount / rotationQueueEndpoint and the storage account's network rules",
    );
  });

  it("tell a disabled secret and a vault of another tenant from a missing role", () => {
    const vault = (statusCode: number, code?: string) => {
      const e = new RestError(`HTTP ${statusCode}`, { statusCode, ...(code && { code }) });
      return errors.vaultFailed("kv", "keyvault", "db", WHO, describeAzureFailure(e), { timeoutMs: 1000 }, e);
    };
    expect(vault(403, "SecretDisabled").fix).toMatch(
      /^enable it \(az keyvault secret set-attributes .* --name db /,
    );
    expect(vault(401).fix).toBe(`check that ${WHO} belongs to the vault's tenant and has not been deleted`);
    expect(vault(403).fix).toContain('"Key Vault Secrets User"');
  });
});
