/** The checks that read nothing remote: file, env, containerapp and sqlite, built as serve builds them. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BACKEND_CHECKS, SOURCE_CHECKS } from "../../../src/doctor/checks/index.js";
import { createDoctorContext } from "../../../src/doctor/doctorContext.js";
import { SOURCE_KINDS } from "../../../src/metadata/secretMetadata.js";
import { makeTmpDir } from "../../helpers/tmp.js";
import { component, secretMd, stateMd } from "./fakeDoctor.js";

const tmp = makeTmpDir("doc-local");
afterAll(() => tmp.cleanup());
const doctor = (env: NodeJS.ProcessEnv = {}) => createDoctorContext({ env, baseDir: tmp.dir });
const c = component("local");

describe("the table of checks", () => {
  it("has a check for every secret source kind and every state backend", () => {
    expect(Object.keys(SOURCE_CHECKS).sort()).toEqual([...SOURCE_KINDS].sort());
    expect(Object.keys(BACKEND_CHECKS).sort()).toEqual(["sqlite", "tables"]);
  });
});

describe("the file check", () => {
  it("counts the secrets of a readable file", async () => {
    writeFileSync(path.join(tmp.dir, "secrets.json"), JSON.stringify({ a: "1", b: { c: "2" } }));
    const out = await SOURCE_CHECKS.file({
      component: c,
      md: secretMd({ secretsFile: "secrets.json" }),
      doctor: doctor(),
    });
    expect(out.checks).toEqual([{ name: "file secrets.json", status: "ok", detail: "readable, 2 secrets" }]);
    expect(out.identity).toBeUndefined();
  });

  it("fails a missing file with keyless's message and the field to fix", async () => {
    const out = await SOURCE_CHECKS.file({
      component: c,
      md: secretMd({ secretsFile: "nope.json" }),
      doctor: doctor(),
    });
    expect(out.checks[0]).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/cannot read .*nope\.json \(ENOENT\)/),
      fix: "fix secretsFile (relative paths resolve against keyless's working directory)",
    });
  });
});

describe("the env check", () => {
  it("counts the prefixed variables of this shell, and warns when there are none", async () => {
    const md = secretMd({ envPrefix: "APP_" });
    const some = await SOURCE_CHECKS.env({
      component: c,
      md,
      doctor: doctor({ APP_A: "1", APP_B: "2", OTHER: "3" }),
    });
    expect(some.checks[0]).toMatchObject({
      name: "env APP_*",
      status: "ok",
      detail: expect.stringMatching(/^2 variables/),
    });
    const none = await SOURCE_CHECKS.env({ component: c, md, doctor: doctor({}) });
    expect(none.checks[0]!.status).toBe("warn");
  });
});

describe("the containerapp check", () => {
  it("fails an unreadable manifest and names the store's identity", async () => {
    const md = secretMd({ containerAppManifest: "no-such-app.yaml" });
    const out = await SOURCE_CHECKS.containerapp({ component: c, md, doctor: doctor() });
    expect(out.identity).toEqual({ kind: "managed", by: "system" });
    expect(out.checks[0]).toMatchObject({
      name: "containerapp source",
      status: "fail",
      detail: expect.stringMatching(/cannot read the app manifest .*no-such-app\.yaml \(ENOENT\)/),
      fix: expect.stringMatching(/^fix containerAppManifest/),
    });
  });

  it("warns that a secrets volume exists only inside the container app, and passes one that exists", async () => {
    const absent = await SOURCE_CHECKS.containerapp({
      component: c,
      md: secretMd({ secretsMountPath: "mnt/secrets" }),
      doctor: doctor(),
    });
    expect(absent.checks[0]).toMatchObject({
      name: `secrets volume ${path.join(tmp.dir, "mnt/secrets")}`,
      status: "warn",
    });
    mkdirSync(path.join(tmp.dir, "vol"));
    const present = await SOURCE_CHECKS.containerapp({
      component: c,
      md: secretMd({ secretsMountPath: "vol" }),
      doctor: doctor(),
    });
    expect(present.checks[0]).toEqual({
      name: "containerapp source",
      status: "ok",
      detail: `volume ${path.join(tmp.dir, "vol")}`,
    });
  });
});

describe("the sqlite check", () => {
  it("says where the database is without opening it", async () => {
    const at = await BACKEND_CHECKS.sqlite({
      component: c,
      md: stateMd({ path: "state.db" }),
      doctor: doctor(),
    });
    expect(at.checks).toEqual([
      { name: "sqlite", status: "ok", detail: `database ${path.join(tmp.dir, "state.db")}` },
    ]);
    const named = await BACKEND_CHECKS.sqlite({
      component: c,
      md: stateMd({ connectionString: "/x.db" }),
      doctor: doctor(),
    });
    expect(named.checks[0]!.detail).toBe("database named by connectionString");
  });
});
