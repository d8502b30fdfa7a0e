/**
 * deploy/aks/keyless.yaml through Dapr's own injector patch (github.com/dapr/dapr/pkg/injector/patcher v1.18.3,
 * run by deploy/aks/patch): keyless is a component container, so it gets the socket volume and the folder
 * variable daprd agrees with; the app container gets neither.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../helpers/paths.js";

const go = ["/usr/local/go/bin/go", "go"].find(
  (g) => spawnSync(g, ["version"], { encoding: "utf8" }).status === 0,
);

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

describe("the AKS Deployment after Dapr's injector patch", () => {
  it.skipIf(!go)(
    "gives keyless the socket volume and folder, and the app neither",
    () => {
      const r = spawnSync(go!, ["run", ".", path.join(REPO_ROOT, "deploy/aks/keyless.yaml")], {
        cwd: path.join(REPO_ROOT, "deploy/aks/patch"),
        encoding: "utf8",
        env: { ...process.env, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" },
        timeout: 600_000,
      });
      expect(r.stderr.split("\n").filter((l) => l.startsWith("patch:"))).toEqual([]);
      expect(r.status).toBe(0);
      const pod = parseAllDocuments(r.stdout)[0]!.toJS() as { spec: { containers: Container[] } };
      const byName = new Map(pod.spec.containers.map((c) => [c.name, c]));
      expect([...byName.keys()].sort()).toEqual(["app", "daprd", "keyless"]);
      const keyless = byName.get("keyless")!;
      expect(keyless.env).toContainEqual({
        name: "DAPR_COMPONENT_SOCKETS_FOLDER",
        value: "/tmp/dapr-components-sockets",
      });
      expect(keyless.volumeMounts?.map((m) => m.mountPath)).toContain("/tmp/dapr-components-sockets");
      expect(byName.get("app")!.volumeMounts ?? []).not.toContainEqual(
        expect.objectContaining({ mountPath: "/tmp/dapr-components-sockets" }),
      );
    },
    620_000,
  );
});
