/** runDoctor over YAMLs whose stores read only this process's environment: references, reports, the verdict. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runDoctor } from "../../../src/doctor/doctor.js";
import { renderText } from "../../../src/doctor/report.js";
import { componentYaml } from "../../helpers/componentYaml.js";
import { makeTmpDir } from "../../helpers/tmp.js";

const tmp = makeTmpDir("doc-run");
afterAll(() => tmp.cleanup());
// The listener is off, so the doctor asks nothing of a keyless running here.
const env = { KEYLESS_METRICS_PORT: "0", APP_dbpath: "/data/state.db" };

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir);
  for (const [f, y] of Object.entries(files)) writeFileSync(path.join(dir, f), y);
  return dir;
}

describe("runDoctor", () => {
  const dir = folder("components", {
    "local.yaml": componentYaml("local", "secretstores.keyless", { envPrefix: "APP_" }),
    "state-ok.yaml": componentYaml(
      "state-ok",
      "state.keyless",
      { connectionString: { secretKeyRef: "dbpath" } },
      { secretStore: "local" },
    ),
    "state-missing.yaml": componentYaml(
      "state-missing",
      "state.keyless",
      { connectionString: { secretKeyRef: "no-such-secret" } },
      { secretStore: "local" },
    ),
    "no-store.yaml": componentYaml("no-store", "state.keyless", { connectionString: { secretKeyRef: "x" } }),
    "redis.yaml": componentYaml(
      "cache",
      "state.redis",
      { redisPassword: { secretKeyRef: "dbpath" } },
      { secretStore: "local" },
    ),
    "bad.yaml": componentYaml("bad", "state.keyless", { backend: "mongo" }),
  });

  it("checks each component, resolving its references through the keyless stores of the same files", async () => {
    const report = await runDoctor({ paths: [dir], baseDir: tmp.dir, env });
    const of = (name: string) => report.components.find((c) => c.component === name)!;
    expect(report.ok).toBe(false);
    expect(report.checked).toMatchObject({ keylessComponents: 5 });
    expect(report.listener?.status).toBe("warn");
    expect(of("local").checks.map((k) => [k.name, k.status])).toEqual([
      ["metadata", "ok"],
      ["env APP_*", "ok"],
    ]);
    expect(of("state-ok").checks.map((k) => [k.name, k.status, k.detail])).toEqual([
      ["secret for metadata connectionString", "ok", 'secret "dbpath" resolves through "local"'],
      ["metadata", "ok", "backend sqlite"],
      ["sqlite", "ok", "database named by connectionString"],
    ]);
    // A reference that does not resolve stops the component's checks: its metadata would be incomplete.
    const missing = of("state-missing").checks;
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({
      status: "fail",
      detail: expect.stringContaining('"no-such-secret" not found'),
    });
    expect(missing[0]!.fix).toBe(
      `create the secret (az keyvault secret set --vault-name <vault> --name no-such-secret --value ...) or fix secretKeyRef.name in ${path.join(dir, "state-missing.yaml")}`,
    );
    expect(of("no-store").checks[0]!.fix).toMatch(/^add auth: \{ secretStore: <name> \}/);
    // Another component's report holds only its references into keyless stores.
    expect(of("cache").checks.map((k) => k.name)).toEqual(["secret for metadata redisPassword"]);
    expect(of("bad").checks[0]).toMatchObject({
      name: "metadata",
      status: "fail",
      fix: `fix ${path.join(dir, "bad.yaml")}`,
    });
    // Presence of settings, never values.
    expect(JSON.stringify(report)).not.toContain("/data/state.db");
    expect(renderText(report)).toContain("keyless doctor: problems found");
  });

  it("passes when every check passes", async () => {
    const good = folder("good", {
      "local.yaml": componentYaml("local", "secretstores.keyless", { envPrefix: "APP_" }),
      "state.yaml": componentYaml(
        "state",
        "state.keyless",
        { connectionString: { secretKeyRef: "dbpath" } },
        { secretStore: "local" },
      ),
    });
    const report = await runDoctor({ paths: [good], baseDir: tmp.dir, env });
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
  });

  it("fails when nothing was checked", async () => {
    const other = folder("other", {
      "redis.yaml": componentYaml("cache", "state.redis", { redisHost: "x:6379" }),
    });
    const report = await runDoctor({ paths: [other], baseDir: tmp.dir, env });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        file: other,
        message:
          "no secretstores.keyless or state.keyless component found in 1 YAML file(s); nothing was checked",
      },
    ]);
  });
});
