import { describe, expect, it } from "vitest";
import { readMessage } from "../../../../../../src/secrets/sources/keyvault/rotation/keyVaultEvent.js";

const data = { VaultName: "myvault", ObjectType: "Secret", ObjectName: "db-password", Version: "abc" };
const grid = (eventType: string, d: unknown = data) => ({ id: "1", eventType, subject: "s", data: d });
const cloud = (type: string, d: unknown = data) => ({
  specversion: "1.0",
  id: "1",
  source: "s",
  type,
  data: d,
});
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
const event = { object: "secret", vaultName: "myvault", secretName: "db-password", version: "abc" };

describe("readMessage (Key Vault events on a Storage Queue)", () => {
  it("reads the Event Grid schema and CloudEvents 1.0, base64 as Event Grid writes them, or plain JSON", () => {
    for (const body of [
      b64(grid("Microsoft.KeyVault.SecretNewVersionCreated")),
      b64(cloud("Microsoft.KeyVault.SecretNewVersionCreated")),
      JSON.stringify(grid("Microsoft.KeyVault.SecretNewVersionCreated")),
      b64([cloud("Microsoft.KeyVault.SecretNewVersionCreated")]),
    ]) {
      expect(readMessage(body)).toEqual({
        kind: "events",
        events: [{ type: "SecretNewVersionCreated", ...event }],
      });
    }
    expect(readMessage(b64(cloud("Microsoft.KeyVault.SecretNearExpiry")))).toEqual({
      kind: "events",
      events: [{ type: "SecretNearExpiry", ...event }],
    });
    expect(readMessage(b64(grid("Microsoft.KeyVault.SecretExpired")))).toMatchObject({
      events: [{ type: "SecretExpired" }],
    });
  });

  it("reads a certificate's new version as an event for its secret of the same name", () => {
    const cert = { ...data, ObjectType: "Certificate", ObjectName: "tls-cert" };
    for (const body of [
      b64(grid("Microsoft.KeyVault.CertificateNewVersionCreated", cert)),
      b64(cloud("Microsoft.KeyVault.CertificateNewVersionCreated", cert)),
    ]) {
      expect(readMessage(body)).toEqual({
        kind: "events",
        events: [
          {
            type: "CertificateNewVersionCreated",
            object: "certificate",
            vaultName: "myvault",
            secretName: "tls-cert",
            version: "abc",
          },
        ],
      });
    }
    expect(readMessage(b64(grid("Microsoft.KeyVault.CertificateExpired", cert)))).toMatchObject({
      events: [{ type: "CertificateExpired", object: "certificate" }],
    });
    expect(
      readMessage(
        b64(grid("Microsoft.KeyVault.CertificateNewVersionCreated", { ...cert, ObjectType: "Key" })),
      ),
    ).toMatchObject({ kind: "foreign" });
  });

  it("calls other events, and secret events for certificate objects, foreign", () => {
    expect(readMessage(b64(grid("Microsoft.Storage.BlobCreated")))).toEqual({
      kind: "foreign",
      what: "event type Microsoft.Storage.BlobCreated",
    });
    expect(
      readMessage(
        b64(grid("Microsoft.KeyVault.SecretNewVersionCreated", { ...data, ObjectType: "Certificate" })),
      ),
    ).toMatchObject({ kind: "foreign" });
  });

  it("calls anything else malformed", () => {
    for (const body of [
      "",
      "%%%",
      b64("text"),
      b64([]),
      b64({ hello: 1 }),
      b64(grid("Microsoft.KeyVault.SecretExpired", { VaultName: "v" })),
    ]) {
      expect(readMessage(body).kind).toBe("malformed");
    }
  });
});
