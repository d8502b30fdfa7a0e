/** The deploy files probe keyless's /healthz and /readyz on its metrics port (default 9464). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { readSetting } from "../../../src/processSettings.js";

const DEFAULT_METRICS_PORT = readSetting({}, "KEYLESS_METRICS_PORT");

const read = (f: string) => readFileSync(path.join(import.meta.dirname, "../../..", f), "utf8");

interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
}

describe("health probes in the deploy files", () => {
  it("AKS: keyless's container has liveness on /healthz and readiness on /readyz", () => {
    const docs = parseAllDocuments(read("deploy/aks/keyless.yaml")).map(
      (d) => d.toJS() as { kind: string; spec?: { template?: { spec: { containers: Container[] } } } },
    );
    const deployment = docs.find((d) => d.kind === "Deployment")!;
    const keyless = deployment.spec!.template!.spec.containers.find((c) => c.name === "keyless")!;
    const port = keyless.ports?.find((p) => p.name === keyless.livenessProbe?.httpGet.port);
    expect(port?.containerPort).toBe(DEFAULT_METRICS_PORT);
    expect(keyless.livenessProbe?.httpGet.path).toBe("/healthz");
    expect(keyless.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: port?.name });
  });

  it("Container Apps: keyless's container has Liveness and Readiness probes", () => {
    const bicep = read("deploy/aca/main.bicep");
    expect(bicep).toContain(
      `{ type: 'Liveness', httpGet: { path: '/healthz', port: ${DEFAULT_METRICS_PORT} }, periodSeconds: 10 }`,
    );
    expect(bicep).toContain(
      `{ type: 'Readiness', httpGet: { path: '/readyz', port: ${DEFAULT_METRICS_PORT} }, periodSeconds: 10 }`,
    );
  });

  it("compose: daprd waits for keyless's /healthz", () => {
    const compose = parse(read("docker-compose.yml")) as {
      services: { keyless: { healthcheck: { test: string[] } } };
    };
    expect(compose.services.keyless.healthcheck.test.join(" ")).toContain(
      `http://127.0.0.1:${DEFAULT_METRICS_PORT}/healthz`,
    );
  });
});
