/** readAll's 403 rules with the SDK's own RestError: omitted while others are readable, an error when none is. */
import { createHttpHeaders, createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { readAll } from "../../../../../src/secrets/sources/keyvault/keyVaultListing.js";

const log = pino({ level: "silent" });

/** A 403 as Key Vault answers it: outer code Forbidden, the precise reason as the inner code. */
function forbidden(inner: "ForbiddenByRbac" | "SecretDisabled"): RestError {
  const request = createPipelineRequest({ url: "https://v.vault.azure.net/secrets/x" });
  const bodyAsText = JSON.stringify({ error: { code: "Forbidden", innererror: { code: inner } } });
  const e = new RestError("forbidden", {
    statusCode: 403,
    code: "Forbidden",
    request,
    response: { status: 403, headers: createHttpHeaders(), request, bodyAsText },
  });
  // What SecretClient's deserializer sets from that body.
  e.details = { error: { code: "Forbidden", innerError: { code: inner } } };
  return e;
}

/** Reads that settle in reverse listing order, so "first" cannot mean "first to finish". */
function reader(answers: Record<string, string | RestError>) {
  const names = Object.keys(answers);
  return (name: string) =>
    new Promise<string>((resolve, reject) => {
      const a = answers[name]!;
      setTimeout(() => (typeof a === "string" ? resolve(a) : reject(a)), names.length - names.indexOf(name));
    });
}

const fail = (name: string, e: unknown) => new Error(`failed on ${name}`, { cause: e });

describe("readAll and 403s", () => {
  it("leaves out a secret refused to this identity while others are readable", async () => {
    const reasons: string[] = [];
    const got = await readAll(
      ["a", "b", "c"],
      reader({ a: "1", b: forbidden("ForbiddenByRbac"), c: "3" }),
      fail,
      log,
      (r) => reasons.push(r),
    );
    expect([...got]).toEqual([
      ["a", "1"],
      ["c", "3"],
    ]);
    expect(reasons).toEqual(["forbidden"]);
  });

  it("fails with the first refused secret in listing order when no secret is readable", async () => {
    const answers = { a: forbidden("ForbiddenByRbac"), b: forbidden("ForbiddenByRbac") };
    const err = await readAll(["a", "b"], reader(answers), fail, log).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("failed on a");
    expect((err as Error).cause).toBe(answers.a);
  });

  it("answers an empty map when every secret is disabled, labelled as disabled", async () => {
    const reasons: string[] = [];
    const got = await readAll(
      ["a", "b"],
      reader({ a: forbidden("SecretDisabled"), b: forbidden("SecretDisabled") }),
      fail,
      log,
      (r) => reasons.push(r),
    );
    expect(got.size).toBe(0);
    expect(reasons).toEqual(["disabled", "disabled"]);
  });

  it("answers an empty map for an empty listing", async () => {
    expect((await readAll([], reader({}), fail, log)).size).toBe(0);
  });
});
