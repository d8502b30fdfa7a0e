/** The Tables transport and connection-string rules (the SDK itself is exercised in the contract suite). */
import { describe, expect, it } from "vitest";
import { CredentialPool } from "../../../../../src/identity/credentialPool.js";
import { planConnection, readConnectionString } from "../../../../../src/state/backends/tables/index.js";

const token = (endpoint: string) => ({
  kind: "token" as const,
  endpoint,
  credential: new CredentialPool(() => ({ getToken: async () => null })).get({
    kind: "managed",
    by: "system",
  }),
  describe: "the system-assigned managed identity",
});
const key = (endpoint: string) => ({
  kind: "sharedKey" as const,
  endpoint,
  accountName: "acct",
  accountKey: "a2V5",
});
const cs = (connectionString: string) => ({ kind: "connectionString" as const, connectionString });

describe("Tables transport", () => {
  it("accepts http only for a loopback host with a key, a connection string or UseDevelopmentStorage", () => {
    expect(planConnection("i", "t", key("http://127.0.0.1:10002/acct")).allowInsecureConnection).toBe(true);
    expect(planConnection("i", "t", key("http://localhost:10002/acct")).allowInsecureConnection).toBe(true);
    expect(planConnection("i", "t", cs("UseDevelopmentStorage=true")).allowInsecureConnection).toBe(true);
    expect(
      planConnection(
        "i",
        "t",
        cs("DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k;TableEndpoint=http://[::1]:10002/a"),
      ).allowInsecureConnection,
    ).toBe(true);
    expect(
      planConnection("i", "t", token("https://acct.table.core.windows.net")).allowInsecureConnection,
    ).toBe(false);
  });

  it("refuses a bearer token over http, even to a loopback host, saying why", () => {
    expect(() => planConnection("i", "t", token("http://127.0.0.1:10002/acct"))).toThrow(
      /tableEndpoint: http:\/\/ would send the identity's bearer token without TLS/,
    );
  });

  it("refuses http to any other host, saying why", () => {
    const e = (() => {
      try {
        planConnection("i", "t", key("http://acct.table.core.windows.net"));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toMatchObject({ code: "METADATA_INVALID" });
    expect((e as Error).message).toMatch(
      /tableEndpoint: http:\/\/ is accepted only for a local Azurite on a loopback/,
    );
    expect(() =>
      planConnection("i", "t", cs("DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k")),
    ).toThrow(/connectionString: http:\/\/ is accepted only/);
  });

  it("names a SAS as a SAS and never shows the query string of an endpoint", () => {
    const c = planConnection(
      "i",
      "t",
      cs("TableEndpoint=https://acct.table.core.windows.net/?x=1;SharedAccessSignature=sv=1&sig=CANARY"),
    );
    expect(c.who).toMatchObject({ kind: "sas", describe: "the SAS in the connection string" });
    expect(c.endpoint).toBe("https://acct.table.core.windows.net");
  });

  it("reports malformed and endpoint-less connection strings as METADATA_INVALID naming the field, never the value", () => {
    for (const [value, why] of [
      ["AccountKey=CANARY-KEY;garbage", /not a list of Name=value pairs/],
      ["AccountKey=CANARY-KEY", /names no table endpoint/],
      ["AccountName=a;TableEndpoint=https://x", /neither AccountKey nor SharedAccessSignature/],
      ["AccountKey=CANARY-KEY;TableEndpoint=ftp://x", /not an http\(s\) URL/],
    ] as const) {
      let err: unknown;
      try {
        readConnectionString("inst", value);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: "METADATA_INVALID" });
      expect((err as Error).message).toMatch(/connectionString: /);
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).not.toContain("CANARY");
    }
  });
});
