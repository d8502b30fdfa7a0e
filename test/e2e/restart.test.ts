/**
 * daprd never re-sends Init after a pluggable component restarts. keyless restarts (gracefully and by
 * kill -9) while daprd keeps running; calls for every instance must keep working and acknowledged
 * writes must survive.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { call, stateApi } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";
import { startStack, type Stack } from "./fixture.js";

const SECOND_STORE = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore-b
spec:
  type: state.keyless
  version: v1
`;

describe("keyless restarts under a running daprd", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      tag: "rs",
      components: ["statestore.yaml", "localsecrets.yaml"],
      extra: { "statestore-b.yaml": SECOND_STORE },
    });
  });
  afterAll(async () => stack?.stop());

  /** daprd's connection reconnects with backoff; the first calls after a restart may see UNAVAILABLE. */
  const eventually = (what: string, fn: () => Promise<boolean>) =>
    waitFor(what, async () => ((await fn()) ? true : undefined), { timeoutMs: 20_000, intervalMs: 200 });

  it("serves every instance again after a graceful restart", async () => {
    const a = stateApi(stack.daprd.http, "statestore");
    const b = stateApi(stack.daprd.http, "statestore-b");
    await a.save([{ key: "before", value: "a" }]);
    await b.save([{ key: "before", value: "b" }]);

    await stack.restartKeyless("SIGTERM");

    await eventually("statestore to answer", async () => (await a.get("before")).json === "a");
    await eventually("statestore-b to answer", async () => (await b.get("before")).json === "b");
    await eventually(
      "the secret store to answer",
      async () =>
        (await call("GET", `${stack.daprd.http}/v1.0/secrets/localsecrets/demo-greeting`)).status === 200,
    );
    expect(stack.keyless.lines.join("\n")).toContain("restored instance from saved Init metadata");
    expect((await a.save([{ key: "after", value: "x" }])).status).toBe(204);
  });

  it("keeps every acknowledged write through kill -9", async () => {
    const a = stateApi(stack.daprd.http, "statestore");
    const acknowledged: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await a.save([{ key: `durable-${i}`, value: i }]);
      if (r.status === 204) acknowledged.push(`durable-${i}`);
    }
    expect(acknowledged).toHaveLength(200);
    await stack.restartKeyless("SIGKILL");
    await eventually(
      "statestore to answer after kill -9",
      async () => (await a.get("durable-0")).status === 200,
    );
    const r = await a.bulk(acknowledged);
    const items = r.json as { key: string; data?: number }[];
    expect(items.filter((i) => i.data === undefined)).toEqual([]);
    expect(items.map((i) => i.data)).toEqual(acknowledged.map((_, i) => i));
  });
});

describe("daprd hot reload", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ tag: "hr", components: ["localsecrets.yaml"] });
  });
  afterAll(async () => stack?.stop());

  it("replaces an instance when its YAML changes (daprd re-sends Init under the same name)", async () => {
    const url = `${stack.daprd.http}/v1.0/secrets/localsecrets/only-in-the-new-file`;
    expect((await call("GET", url)).status).toBe(500);
    const file = path.join(stack.tmp, "new-secrets.json");
    writeFileSync(file, JSON.stringify({ "only-in-the-new-file": "reloaded" }));
    const yamlPath = path.join(stack.tmp, "resources", "localsecrets.yaml");
    writeFileSync(
      yamlPath,
      readFileSync(yamlPath, "utf8").replace('"./dev/secrets.json"', JSON.stringify(file)),
    );
    await waitFor(
      "the reloaded instance to serve the new file",
      async () => ((await call("GET", url)).status === 200 ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect((await call("GET", url)).json).toEqual({ "only-in-the-new-file": "reloaded" });
  });
});
