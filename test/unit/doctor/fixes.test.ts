/** The fixes the doctor prints come from the catalog's errors; fixOf finds them under wrappers. */
import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { fixOf } from "../../../src/doctor/failureFacts.js";
import { describeAzureFailure } from "../../../src/errors/azureFailure.js";
import { identityErrors } from "../../../src/errors/identity.js";
import { instanceErrors } from "../../../src/errors/instances.js";
import { secretErrors } from "../../../src/errors/secrets.js";
import { rotationQueueFailure } from "../../../src/secrets/sources/keyvault/index.js";
import { classifyVaultFailure } from "../../../src/secrets/sources/keyvault/vaultFailure.js";

const WHO = "the system-assigned managed identity";
const queueFailure = (statusCode: number, code: string) => {
  const e = new RestError(`HTTP ${statusCode}`, { statusCode, code });
  return rotationQueueFailure({
    instance: "kv",
    queue: "acct.queue.core.windows.net/events",
    who: WHO,
    failure: describeAzureFailure(e),
    cause: e,
  });
};

describe("fixOf", () => {
  it("takes the outermost fix, skipping wrappers that carry none", () => {
    const inner = identityErrors.identityUnknown("https://vault.azure.net", WHO, undefined);
    const outer = secretErrors.sourceFailed({
      instance: "kv",
      source: "keyvault",
      name: "s",
      reason: inner.message,
      cause: inner,
    });
    expect(outer.fix).toBeUndefined();
    expect(fixOf(outer)).toBe(inner.fix);
    expect(fixOf(instanceErrors.metadataInvalid("state.keyless", "st", ["x: bad"]))).toBe(
      "correct the component metadata as the message says",
    );
    expect(fixOf(new Error("foreign"))).toBeUndefined();
  });
});

describe("the catalog's fixes", () => {
  it("carry a workload identity's own fix instead of a managed identity's", () => {
    const e = identityErrors.entraRefused({
      scope: "https://vault.azure.net",
      settings: {
        clientId: "c1",
        tenantId: "t1",
        clientIdFrom: "azureClientId",
        tenantIdFrom: "azureTenantId",
        tokenFile: "/var/run/token",
        authorityHost: "https://login.microsoftonline.com",
      },
      refusal: { kind: "clientUnknown", aadsts: 700016 },
    });
    expect(e.fix).toBe(
      "check azureClientId: it must be the identity's client id (az identity show -n <name> -g <group> --query clientId)",
    );
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
      const failure = classifyVaultFailure(describeAzureFailure(e), { timeoutMs: 1000 });
      return secretErrors.vaultFailed({
        instance: "kv",
        source: "keyvault",
        name: "db",
        who: WHO,
        failure,
        cause: e,
      });
    };
    expect(vault(403, "SecretDisabled").fix).toMatch(
      /^enable it \(az keyvault secret set-attributes .* --name db /,
    );
    expect(vault(401).fix).toBe(`check that ${WHO} belongs to the vault's tenant and has not been deleted`);
    expect(vault(403).fix).toContain('"Key Vault Secrets User"');
  });
});
