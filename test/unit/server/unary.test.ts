import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { INSTANCE_HEADER, instanceFrom } from "../../../src/server/unary.js";

function headers(...values: string[]): Metadata {
  const md = new Metadata();
  for (const v of values) md.add(INSTANCE_HEADER, v);
  return md;
}

describe("instanceFrom", () => {
  it("answers daprd's single plain value as it is", () => {
    expect(instanceFrom(headers("statestore"), "StateStore")).toBe("statestore");
  });

  it.each([
    ["a repeated identical value", ["st", "st"], "st"],
    ["a folded identical value", ["st, st"], "st"],
    ["a value with surrounding spaces", [" st "], "st"],
  ])("takes %s as one instance", (_what, values, want) => {
    expect(instanceFrom(headers(...values), "StateStore")).toBe(want);
  });

  it.each([
    ["no header", [], "INSTANCE_HEADER_MISSING"],
    ["an empty value", [""], "INSTANCE_HEADER_MISSING"],
    ["two different values", ["st", "other"], "INSTANCE_HEADER_CONFLICT"],
    ["two different folded values", ["st,other"], "INSTANCE_HEADER_CONFLICT"],
  ])("refuses %s, naming the service", (_what, values, code) => {
    expect(() => instanceFrom(headers(...values), "StateStore")).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining("StateStore") }),
    );
  });
});
