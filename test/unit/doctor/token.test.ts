import { describe, expect, it } from "vitest";
import { RestError } from "@azure/core-rest-pipeline";
import { tokenCheck } from "../../../src/doctor/checks/token.js";
import { KEY_VAULT_SCOPE } from "../../../src/identity/tokenScopes.js";
import { fakeDoctor } from "./fakeDoctor.js";

const SYSTEM = { kind: "managed", by: "system" } as const;

describe("the token check", () => {
  it("names the identity a token was issued for", async () => {
    expect(await tokenCheck(fakeDoctor(), SYSTEM, KEY_VAULT_SCOPE)).toEqual({
      name: "token for https://vault.azure.net",
      status: "ok",
      detail: "issued for the system-assigned managed identity",
    });
  });

  it("gives a refusal the fix its catalog entry carries, and says what really shows more (#23)", async () => {
    // The identity endpoint answers 500: classify.ts makes it an IDENTITY_FAILED from the catalog.
    const doctor = fakeDoctor({
      token: async () => {
        throw new RestError("upstream said: secret-looking text", { statusCode: 500 });
      },
    });
    const check = await tokenCheck(doctor, SYSTEM, KEY_VAULT_SCOPE);
    expect(check.status).toBe("fail");
    expect(check.detail).toContain("(HTTP 500)");
    expect(check.detail).not.toContain("secret-looking text");
    expect(check.fix).toMatch(/^check that the system-assigned managed identity exists/);
    // The doctor's logger is silent and the identity code logs nothing: KEYLESS_TRACE would print nothing.
    expect(check.fix).not.toContain("KEYLESS_TRACE");
  });

  it("finds an unreachable endpoint's fix", async () => {
    const doctor = fakeDoctor({
      token: async () => {
        throw Object.assign(new Error("connect"), { code: "ECONNREFUSED" });
      },
    });
    expect((await tokenCheck(doctor, SYSTEM, KEY_VAULT_SCOPE)).fix).toMatch(
      /^managed identity is not available to keyless: enable it for the app/,
    );
  });
});
