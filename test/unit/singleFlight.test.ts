import { describe, expect, it } from "vitest";
import { SingleFlight } from "../../src/util/singleFlight.js";

describe("SingleFlight", () => {
  it("shares one running call per key and starts a new one after it settles", async () => {
    const sf = new SingleFlight<string, number>();
    let calls = 0;
    let release!: (n: number) => void;
    const fn = () => {
      calls++;
      return new Promise<number>((r) => (release = r));
    };
    const a = sf.run("k", fn);
    const b = sf.run("k", fn);
    expect(sf.has("k")).toBe(true);
    release(7);
    expect(await a).toBe(7);
    expect(await b).toBe(7);
    expect(calls).toBe(1);
    expect(sf.has("k")).toBe(false);
    const c = sf.run("k", fn);
    release(8);
    expect(await c).toBe(8);
    expect(calls).toBe(2);
  });

  it("keeps keys apart and forgets failures", async () => {
    const sf = new SingleFlight<string, number>();
    await expect(sf.run("a", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(sf.has("a")).toBe(false);
    expect(await Promise.all([sf.run("a", async () => 1), sf.run("b", async () => 2)])).toEqual([1, 2]);
  });
});
