import { describe, expect, it } from "vitest";
import { causeChain } from "../../../src/errors/causeChain.js";

describe("causeChain", () => {
  it("walks causes outermost first, and the first two members of an AggregateError", () => {
    const inner = new Error("inner");
    const a = new Error("a", { cause: inner });
    const b = new Error("b");
    const agg = new AggregateError([a, b, new Error("third")], "all failed");
    const top = new Error("top", { cause: agg });
    expect(causeChain(top).map((e) => (e as Error).message)).toEqual([
      "top",
      "all failed",
      "a",
      "b",
      "inner",
    ]);
  });

  it("stops at a cycle and after eight errors, and keeps causes that are not Errors", () => {
    const x = new Error("x");
    const y = new Error("y", { cause: x });
    Object.assign(x, { cause: y });
    expect(causeChain(x)).toEqual([x, y]);

    let deep: unknown = { code: "ECONNREFUSED" };
    for (let i = 0; i < 20; i++) deep = new Error(`level ${i}`, { cause: deep });
    expect(causeChain(deep)).toHaveLength(8);
    expect(causeChain(new Error("e", { cause: "text" }))).toEqual([expect.any(Error), "text"]);
  });
});
