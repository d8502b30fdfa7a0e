/** secretstores.keyless through a real daprd, over the Dapr secrets API (HTTP, and the @dapr/dapr client). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaprClient, CommunicationProtocolEnum } from "@dapr/dapr";
import { call } from "../helpers/http.js";
import { startStack, type Stack } from "./fixture.js";

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
