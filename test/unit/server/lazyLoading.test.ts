import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BuildContext, ComponentKind } from "../../../src/components/kind.js";
import { lazyKind } from "../../../src/components/lazyKind.js";
import { stateMetadata } from "../../../src/metadata/stateMetadata.js";
import { loadComponentDefinition } from "../../../src/runtime/componentDefinition.js";
import { loadServiceDefinitions } from "../../../src/server/protos.js";
import { REPO_ROOT } from "../../helpers/paths.js";

describe("lazyKind", () => {
  it("imports the kind once, on the first build, and then answers with its properties", async () => {
    let loads = 0;
    const real: ComponentKind<{ n: number }> = {
      category: "state",
      features: ["ETAG"],
      featuresOf: () => ["EXTRA"],
      metadata: stateMetadata,
      build: async (props) => ({ n: Number(props.n) }),
      close: async () => undefined,
    };
    const kind = lazyKind("state", async () => (loads++, real));
    expect(kind.category).toBe("state");
    expect(loads).toBe(0);
    expect(() => kind.metadata).toThrow(/before any instance was built/);
    const ctx = {} as BuildContext;
    const [a, b] = await Promise.all([kind.build({ n: "1" }, ctx), kind.build({ n: "2" }, ctx)]);
    expect([a.n, b.n]).toEqual([1, 2]);
    expect(loads).toBe(1);
    expect(kind.features).toEqual(["ETAG"]);
    expect(kind.featuresOf!(a)).toEqual(["EXTRA"]);
    expect(kind.metadata).toBe(stateMetadata);
  });
});

describe("service definitions served at start-up", () => {
  it("encode and decode exactly as @grpc/proto-loader's definitions do", async () => {
    const fast = loadServiceDefinitions();
    const full = loadComponentDefinition();
    const services = Object.keys(fast).sort();
    expect(services).toContain("dapr.proto.components.v1.StateStore");
    expect(services).toContain("dapr.proto.components.v1.SecretStore");
    const sample = {
      key: "k",
      value: Buffer.from("v"),
      etag: { value: "e" },
      metadata: { a: "b" },
      contentType: "application/json",
      options: { concurrency: "CONCURRENCY_FIRST_WRITE", consistency: "CONSISTENCY_STRONG" },
    };
    for (const name of services) {
      const a = fast[name]!;
      const b = full[name] as typeof a;
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const [rpc, m] of Object.entries(a)) {
        const o = b[rpc]!;
        expect([m.path, m.requestStream, m.responseStream]).toEqual([
          o.path,
          o.requestStream,
          o.responseStream,
        ]);
        const bytes = o.requestSerialize(sample);
        expect(m.requestSerialize(sample)).toEqual(bytes);
        expect(m.requestDeserialize(bytes)).toEqual(o.requestDeserialize(bytes));
        expect(m.responseDeserialize(Buffer.alloc(0))).toEqual(o.responseDeserialize(Buffer.alloc(0)));
        expect(() => m.requestSerialize([] as never)).toThrow(/got array instead/);
      }
    }
  });
});

/** npm packages that `src/main.ts` reaches through static (non-type) imports: what loads before the bind. */
function packagesLoadedAtStart(): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)) {
      const spec = m[1]!;
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
      else if (!spec.startsWith("node:")) {
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        if (!packages.has(name)) packages.set(name, path.relative(REPO_ROOT, file));
      }
    }
  };
  visit(path.join(REPO_ROOT, "src/main.ts"));
  return packages;
}

describe("start-up imports", () => {
  it("load only the logger and gRPC before the socket binds: no Azure SDK, zod, SQLite or YAML", () => {
    // Each of these costs tens of milliseconds and megabytes (bench/startup.ts); they load on first use.
    expect([...packagesLoadedAtStart().keys()].sort()).toEqual(["@grpc/grpc-js", "pino", "protobufjs"]);
  });
});
