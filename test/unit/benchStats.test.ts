import { describe, expect, it } from "vitest";
import { pairedRatios, roundOrder } from "../../bench/stats.js";

describe("pairedRatios", () => {
  it("divides each round's pair and gives the median, lowest and highest", () => {
    expect(pairedRatios([90, 100, 96, 80, 99], [100, 100, 100, 100, 100])).toEqual({
      median: 0.96,
      min: 0.8,
      max: 1,
    });
  });

  it("averages the middle two of an even count and pairs only complete rounds", () => {
    expect(pairedRatios([1, 3, 2, 4, 7], [1, 1, 1, 1])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it("answers NaN when there is no round", () => {
    expect(pairedRatios([], [])).toEqual({ median: NaN, min: NaN, max: NaN });
  });
});

describe("roundOrder", () => {
  it("keeps the listed order in even rounds and reverses it in odd ones, without touching the list", () => {
    const stores = ["keyless", "sqlite", "floor"];
    expect(roundOrder(stores, 0)).toEqual(["keyless", "sqlite", "floor"]);
    expect(roundOrder(stores, 1)).toEqual(["floor", "sqlite", "keyless"]);
    expect(roundOrder(stores, 4)).toEqual(["keyless", "sqlite", "floor"]);
    expect(stores).toEqual(["keyless", "sqlite", "floor"]);
  });

  it("gives every store the same mean position over an even number of rounds", () => {
    const stores = ["a", "b", "c", "d", "e"];
    const position = (s: string) =>
      [0, 1, 2, 3].reduce((sum, r) => sum + roundOrder(stores, r).indexOf(s), 0) / 4;
    expect(new Set(stores.map(position))).toEqual(new Set([2]));
  });
});
