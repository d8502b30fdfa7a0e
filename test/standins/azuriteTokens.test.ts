/**
 * The managed-identity stand-in's JWTs are accepted by Azurite's OAuth mode, through the real
 * TableClient and QueueClient with the real ManagedIdentityCredential; tokens for another audience are not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "@azure/identity";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { startIdentityStandIn, makeIdentity, type IdentityStandIn } from "../../dev/identityStandIn.js";
import { startTestAzurite, type Azurite } from "../helpers/azurite.js";
import { scrubAzureEnv } from "../helpers/standins.js";

describe("stand-in tokens against Azurite (OAuth basic, HTTPS)", () => {
  const app = makeIdentity("storage-app");
  let mi: IdentityStandIn;
  let azurite: Azurite;

  beforeAll(async () => {
    scrubAzureEnv();
    mi = await startIdentityStandIn({ identities: [app] });
    Object.assign(process.env, mi.env());
    azurite = await startTestAzurite();
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
    await mi?.close();
  });

  it("lets TableClient create a table and write an entity with a managed-identity token", async () => {
    const client = new TableClient(
      azurite.tableUrl,
      "standins",
      new ManagedIdentityCredential({ clientId: app.clientId }),
    );
    await client.createTable();
    await client.upsertEntity({ partitionKey: "p", rowKey: "r", n: 1 });
    expect((await client.getEntity("p", "r")).n).toBe(1);
    expect(mi.requests.at(-1)).toMatchObject({ resource: "https://storage.azure.com", status: 200 });
  });

  it("lets QueueClient send and receive with a managed-identity token", async () => {
    const q = new QueueClient(
      `${azurite.queueUrl}/standins`,
      new ManagedIdentityCredential({ clientId: app.clientId }),
    );
    await q.createIfNotExists();
    await q.sendMessage("hello");
    const got = await q.receiveMessages();
    expect(got.receivedMessageItems[0]?.messageText).toBe("hello");
  });

  it("rejects a token minted for another audience", async () => {
    const vaultToken = await new ManagedIdentityCredential({ clientId: app.clientId }).getToken(
      "https://vault.azure.net/.default",
    );
    const client = new TableClient(azurite.tableUrl, "standins", {
      getToken: async () => vaultToken,
    });
    await expect(client.getEntity("p", "r")).rejects.toMatchObject({ statusCode: 403 });
  });
});
