/**
 * The deploy files as the platforms read them: Kubernetes objects validated against their schemas
 * (kubernetes-models for core objects; Dapr's own Component CRD schema from the dapr module (versions.env) that the
 * daprd build downloads), every placeholder a file holds filled in by its README, and the socket volume shared
 * by keyless (and daprd) only, never the app.
 */
import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceAccount } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { parse, parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../helpers/paths.js";
import { shippedNodeFlags } from "../../bench/nodeFlags.js";
import { pinnedVersions } from "../helpers/versions.js";

const read = (f: string) => readFileSync(path.join(REPO_ROOT, f), "utf8");

function goModCache(): string {
  try {
    return execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
  } catch {
    return path.join(os.homedir(), "go/pkg/mod");
  }
}
const componentCrd = path.join(
  goModCache(),
  `github.com/dapr/dapr@v${pinnedVersions().DAPRD_VERSION}/charts/dapr/crds/components.yaml`,
);

function validateComponent(doc: unknown): string[] {
  const crd = parse(readFileSync(componentCrd, "utf8")) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
  };
  const schema = crd.spec.versions.find((v) => v.name === "v1alpha1")!.schema.openAPIV3Schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

function validateKubernetes(doc: { kind: string }): void {
  if (doc.kind === "ServiceAccount") new ServiceAccount(doc as never).validate();
  else if (doc.kind === "Deployment") new Deployment(doc as never).validate();
  else throw new Error(`no schema for kind ${doc.kind}`);
}

/** The <PLACEHOLDER>s a file holds, and those a README's sed commands replace. */
const placeholders = (text: string) => new Set([...text.matchAll(/<([A-Z_0-9]+)>/g)].map((m) => m[1]));
const sedReplaced = (readme: string) =>
  new Set([...readme.matchAll(/s[/|]<([A-Z_0-9]+)>[/|]/g)].map((m) => m[1]));

describe("deploy/aks/keyless.yaml", () => {
  const docs = parseAllDocuments(read("deploy/aks/keyless.yaml")).map((d) => d.toJS() as { kind: string });

  it("holds Kubernetes objects that their schemas accept", () => {
    const core = docs.filter((d) => d.kind !== "Component");
    expect(core.map((d) => d.kind).sort()).toEqual(["Deployment", "ServiceAccount"]);
    for (const d of core) validateKubernetes(d);
  });

  it.skipIf(!existsSync(componentCrd))("holds Dapr Components that Dapr's CRD schema accepts", () => {
    const components = docs.filter((d) => d.kind === "Component");
    expect(components).toHaveLength(2);
    for (const c of components) expect(validateComponent(c)).toEqual([]);
  });

  it("names keyless as a pluggable component, with numeric non-root users and workload identity", () => {
    const dep = docs.find((d) => d.kind === "Deployment") as unknown as {
      spec: {
        template: {
          metadata: { labels: Record<string, string>; annotations: Record<string, string> };
          spec: { containers: { name: string; securityContext?: { runAsUser?: number } }[] };
        };
      };
    };
    const t = dep.spec.template;
    expect(t.metadata.annotations["dapr.io/pluggable-components"]).toBe("keyless");
    expect(t.metadata.annotations["dapr.io/pluggable-components-sockets-folder"]).toBeUndefined();
    expect(t.metadata.labels["azure.workload.identity/use"]).toBe("true");
    for (const c of t.spec.containers) expect(c.securityContext?.runAsUser).toBeGreaterThan(0);
    const sa = docs.find((d) => d.kind === "ServiceAccount") as unknown as {
      metadata: { annotations: Record<string, string> };
    };
    expect(sa.metadata.annotations["azure.workload.identity/client-id"]).toBe("<CLIENT_ID>");
  });

  it("has every placeholder filled in by the README", () => {
    expect(sedReplaced(read("deploy/aks/README.md"))).toEqual(placeholders(read("deploy/aks/keyless.yaml")));
  });
});

describe("deploy/aci", () => {
  it("has every placeholder of group.yaml and the component files filled in by the README", () => {
    const files = ["group.yaml", "secretstore.yaml", "statestore.yaml"].map((f) => read(`deploy/aci/${f}`));
    const wanted = new Set(files.flatMap((f) => [...placeholders(f.replace(/^#.*$/gm, ""))]));
    expect(sedReplaced(read("deploy/aci/README.md"))).toEqual(wanted);
  });

  it("holds Dapr Components that Dapr's CRD schema accepts", () => {
    if (!existsSync(componentCrd)) return;
    for (const f of ["secretstore.yaml", "statestore.yaml"])
      expect(validateComponent(parse(read(`deploy/aci/${f}`)))).toEqual([]);
  });

  it("starts keyless with the image's node flags where it overrides the command", () => {
    const group = parse(read("deploy/aci/group.yaml")) as {
      properties: { containers: { name: string; properties: { command?: string[] } }[] };
    };
    const command = group.properties.containers.find((c) => c.name === "keyless")!.properties.command!;
    const flags = command.slice(1, command.indexOf("/app/dist/src/main.js"));
    expect(flags).toEqual(shippedNodeFlags());
    expect(flags).toContain("--single-threaded-gc");
    expect(flags).toContain("--initial-old-space-size=8");
  });

  it("mounts the socket volume in keyless's container only", () => {
    const group = parse(read("deploy/aci/group.yaml")) as {
      properties: { containers: { name: string; properties: { volumeMounts?: { name: string }[] } }[] };
    };
    const withSockets = group.properties.containers
      .filter((c) => c.properties.volumeMounts?.some((m) => m.name === "sockets"))
      .map((c) => c.name);
    expect(withSockets).toEqual(["keyless"]);
  });
});

describe("deploy/aca/main.bicep", () => {
  const bicep = read("deploy/aca/main.bicep");
  it("mounts the socket volume in keyless's container only, which runs daprd as its child", () => {
    expect(bicep.match(/volumeName: 'dapr-sockets'/g)).toHaveLength(1);
    expect(bicep).toMatch(/'serve'\s+'--then'\s+'\/usr\/local\/bin\/daprd'/);
  });
  it("grants Storage Table Data Contributor before the app exists", () => {
    expect(bicep).toContain("storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'");
    expect(bicep).toMatch(/dependsOn: \[[^\]]*tableUser[^\]]*\]/);
  });
});
