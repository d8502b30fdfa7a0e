import { describe, expect, it } from "vitest";
import { pairedRatios } from "../../bench/stats.js";

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
