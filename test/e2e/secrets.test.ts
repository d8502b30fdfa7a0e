/** secretstores.keyless through a real daprd, over the Dapr secrets API (HTTP, and the @dapr/dapr client). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaprClient, CommunicationProtocolEnum } from "@dapr/dapr";
import { call } from "../helpers/http.js";
import { startStack, type Stack } from "./fixture.js";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { componentYaml } from "../helpers/componentYaml.js";
import { waitFor } from "../helpers/wait.js";

describe("secretstores.keyless through daprd", () => {
  let stack: Stack;
  let api: string;

  beforeAll(async () => {
    stack = await startStack({
      tag: "sec",
      components: ["localsecrets.yaml"],
      keylessEnv: { KEYLESS_SECRET_FROM_ENV: "env-secret", KEYLESS_SECRET_demo_greeting: "shadowed-by-file" },
    });
    api = `${stack.daprd.http}/v1.0/secrets/localsecrets`;
  });
  afterAll(async () => stack?.stop());

  it("gets a secret from the secrets file with the @dapr/dapr client", async () => {
    const client = new DaprClient({
      daprHost: "127.0.0.1",
      daprPort: String(stack.daprd.httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
    });
    expect(await client.secret.get("localsecrets", "demo-greeting")).toEqual({
      "demo-greeting": "hello from keyless",
    });
  });

  it("gets nested file keys and env secrets over HTTP", async () => {
    const nested = await call("GET", `${api}/${encodeURIComponent("queue:connectionString")}`);
    expect(nested.status).toBe(200);
    expect(nested.json).toEqual({ "queue:connectionString": "UseDevelopmentStorage=true" });
    const env = await call("GET", `${api}/FROM_ENV`);
    expect(env.json).toEqual({ FROM_ENV: "env-secret" });
  });

  it("lets the earlier source win in the chain (file before env)", async () => {
    const r = await call("GET", `${api}/demo_greeting`);
    expect(r.json).toEqual({ demo_greeting: "shadowed-by-file" });
    const file = await call("GET", `${api}/demo-greeting`);
    expect(file.json).toEqual({ "demo-greeting": "hello from keyless" });
  });

  it("bulk-gets every secret of every source", async () => {
    const r = await call("GET", `${api}/bulk`);
    expect(r.status).toBe(200);
    const body = r.json as Record<string, Record<string, string>>;
    expect(body["demo-greeting"]).toEqual({ "demo-greeting": "hello from keyless" });
    expect(body["FROM_ENV"]).toEqual({ FROM_ENV: "env-secret" });
    expect(body["queue:connectionString"]).toBeDefined();
  });

  it("reports a missing secret with the instance, the key and the sources consulted", async () => {
    const r = await call("GET", `${api}/no-such-secret`);
    expect(r.status).toBe(500);
    expect((r.json as { errorCode: string }).errorCode).toBe("ERR_SECRET_GET");
    expect(r.text).toContain("no-such-secret");
    expect(r.text).toContain("file(./dev/secrets.json), env(KEYLESS_SECRET_*)");
  });
});

describe("multi-valued file secrets through daprd", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ tag: "mv", components: [] });
    const file = path.join(stack.tmp, "multi.yaml");
    writeFileSync(file, "database:\n  user: app\n  password: not-a-real-one\nplain: value\n");
    writeFileSync(
      path.join(stack.tmp, "resources", "multi.yaml"),
      componentYaml("multi", "secretstores.keyless", { secretsFile: file, multiValued: "true" }),
    );
    await waitFor("the hot-reloaded multi-valued store", async () =>
      (await call("GET", `${stack.daprd.http}/v1.0/secrets/multi/plain`)).status === 200 ? true : undefined,
    );
  });
  afterAll(async () => stack?.stop());

  it("answers a secret with several keys and advertises MULTIPLE_KEY_VALUES_PER_SECRET", async () => {
    const r = await call("GET", `${stack.daprd.http}/v1.0/secrets/multi/database`);
    expect(r.json).toEqual({ user: "app", password: "not-a-real-one" });
    const md = (await (await fetch(`${stack.daprd.http}/v1.0/metadata`)).json()) as {
      components: { name: string; capabilities?: string[] }[];
    };
    expect(md.components.find((c) => c.name === "multi")?.capabilities).toEqual([
      "MULTIPLE_KEY_VALUES_PER_SECRET",
    ]);
  });
});
