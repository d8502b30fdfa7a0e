import { describe, expect, it } from "vitest";
import { fromTableKey, toTableKey } from "../../../../../src/state/backends/tables/tablesKey.js";

const KEYS = [
  "app||key",
  "app||type||id||key",
  "a||b",
  "a||b||c||d",
  "plain",
  "||x",
  "x||",
  "~",
  "~||~",
  "%7E",
  "x/y",
  "x\\y",
  "x#y",
  "x?y",
  "tab\tkey",
  "é||ü",
  "100%",
  "a||b/c",
];

describe("Tables key layout", () => {
  it("splits at the last || so an app's and an actor's keys share a partition", () => {
    expect(toTableKey("orders||cart-1")).toEqual({ partitionKey: "orders", rowKey: "cart-1" });
    expect(toTableKey("app||Actor||7||state")).toEqual({ partitionKey: "app||Actor||7", rowKey: "state" });
    expect(toTableKey("nokey").partitionKey).toBe("~");
  });

  it("never produces characters Tables forbids", () => {
    for (const k of KEYS) {
      const t = toTableKey(k);
      // eslint-disable-next-line no-control-regex
      expect(`${t.partitionKey}${t.rowKey}`).not.toMatch(/[/\\#?\u0000-\u001f]/);
    }
  });

  it("is reversible and never maps two keys to the same pair", () => {
    const seen = new Map<string, string>();
    for (const k of KEYS) {
      const t = toTableKey(k);
      expect(fromTableKey(t)).toBe(k);
      const id = `${t.partitionKey}\u0000${t.rowKey}`;
      expect(seen.get(id), `${k} collides with ${seen.get(id)}`).toBeUndefined();
      seen.set(id, k);
    }
  });
});
