import { describe, expect, it } from "vitest";
import { vaultCallBookFor } from "../../../src/secrets/vaultCallBooks.js";

describe("vaultCallBookFor", () => {
  it("hands every store of one credential and one vault list the same book, and others their own", () => {
    const credential = {};
    const a = vaultCallBookFor(credential, ["https://A.vault.azure.net"], "dashes");
    expect(vaultCallBookFor(credential, ["https://a.vault.azure.net"], "dashes")).toBe(a);
    expect(vaultCallBookFor(credential, ["https://a.vault.azure.net"], "none")).not.toBe(a);
    expect(vaultCallBookFor({}, ["https://a.vault.azure.net"], "dashes")).not.toBe(a);
    expect(
      vaultCallBookFor(credential, ["https://a.vault.azure.net", "https://b.vault.azure.net"], "dashes"),
    ).not.toBe(a);
  });
});
