import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ComponentKind } from "../../../src/components/kind.js";
import { makeTmpDir } from "../../helpers/tmp.js";
import path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { testKindContext, testRegistry } from "../../helpers/contexts.js";
import { InstanceRegistry } from "../../../src/server/instances.js";
import { SavedInitStore } from "../../../src/persistence/savedInit.js";
import { stateMetadata } from "../../../src/metadata/stateMetadata.js";

interface Fake {
  props: Record<string, string>;
  closed: boolean;
}

function fakeKind() {
  const built: Fake[] = [];
  const kind: ComponentKind<Fake> = {
    category: "state",
    features: ["ETAG"],
    metadata: stateMetadata,
    async build(props) {
      await new Promise((r) => setTimeout(r, 5));
      const f = { props, closed: false };
      built.push(f);
      return f;
    },
    async close(f) {
      f.closed = true;
    },
  };
  return { kind, built };
}

describe("InstanceRegistry", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  const registry = () => testRegistry(tmp.dir);
  beforeEach(() => {
    tmp = makeTmpDir("reg");
  });
  afterEach(() => tmp.cleanup());

  it("fails a call for a never-initialised instance with a message naming the fix", async () => {
    const { kind } = fakeKind();
    await expect(registry().use(kind, "ghost", async () => 1)).rejects.toMatchObject({
      code: "INSTANCE_UNKNOWN",
      message: expect.stringContaining("restart the Dapr sidecar"),
    });
  });

  it("restores an instance from saved metadata after a restart, once under concurrent calls", async () => {
    const { kind, built } = fakeKind();
    await registry().init(kind, "a", { path: "x.db" });
    const fresh = registry();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => fresh.use(kind, "a", async (f) => f.props.path)),
    );
    expect(results.every((r) => r === "x.db")).toBe(true);
    expect(built).toHaveLength(2);
  });

  it("never writes credential keys to disk and refuses to restore without them", async () => {
    const { kind } = fakeKind();
    await registry().init(kind, "b", { connectionString: "AccountKey=canary-secret", tableName: "t" });
    const dir = path.join(tmp.dir, "instances");
    const text = readdirSync(dir)
      .map((f) => readFileSync(path.join(dir, f), "utf8"))
      .join("");
    expect(text).not.toContain("canary-secret");
    await expect(registry().use(kind, "b", async () => 1)).rejects.toMatchObject({
      code: "INSTANCE_RESTORE_FAILED",
      message: expect.stringContaining("connectionString"),
    });
  });

  it("replaces an instance on a repeated Init and closes the old one after its in-flight call", async () => {
    const { kind, built } = fakeKind();
    const r = registry();
    await r.init(kind, "c", { v: "1" });
    let release!: () => void;
    const inFlight = r.use(kind, "c", (f) => new Promise<string>((res) => (release = () => res(f.props.v!))));
    await new Promise((x) => setTimeout(x, 1));
    await r.init(kind, "c", { v: "2" });
    expect(built[0]!.closed).toBe(false);
    release();
    expect(await inFlight).toBe("1");
    expect(built[0]!.closed).toBe(true);
    expect(await r.use(kind, "c", async (f) => f.props.v)).toBe("2");
  });

  it("keeps instances of different categories with the same name apart", async () => {
    const a = fakeKind();
    const b = { ...fakeKind(), kind: { ...fakeKind().kind, category: "secretstores" as const } };
    const r = registry();
    await r.init(a.kind, "same", { v: "state" });
    await r.init(b.kind, "same", { v: "secret" });
    expect(await r.use(a.kind, "same", async (f) => f.props.v)).toBe("state");
    expect(await r.use(b.kind, "same", async (f) => f.props.v)).toBe("secret");
  });

  it("ties an instance to the live connection that initialised it", async () => {
    const { kind } = fakeKind();
    const r = new InstanceRegistry(
      new SavedInitStore(path.join(tmp.dir, "own")),
      testKindContext(tmp.dir),
      50,
    );
    await r.init(kind, "s", { path: "a.db" }, "conn-a");
    await r.init(kind, "s", { path: "a.db" }, "conn-b"); // identical metadata is shared
    // conn-b owns it too now, so even its first owner may not change it while conn-b lives.
    await expect(r.init(kind, "s", { path: "a2.db" }, "conn-a")).rejects.toMatchObject({
      code: "INSTANCE_IN_USE",
    });
    r.connectionClosed("conn-b");
    await r.init(kind, "s", { path: "a3.db" }, "conn-a"); // its own re-Init, no other owner left
    await expect(r.init(kind, "s", { path: "b.db" }, "conn-c")).rejects.toMatchObject({
      code: "INSTANCE_IN_USE",
      message: expect.stringMatching(/another live daprd connection with different metadata \(path\)/),
    });
    expect(await r.use(kind, "s", async (f) => f.props.path)).toBe("a3.db");
    r.connectionClosed("conn-a"); // e.g. daprd hot reload: the old connection goes, the new one re-Inits
    await r.init(kind, "s", { path: "b.db" }, "conn-c");
    expect(await r.use(kind, "s", async (f) => f.props.path)).toBe("b.db");
  });

  it("gives a restored instance to the connection whose call restored it", async () => {
    const { kind } = fakeKind();
    const saved = path.join(tmp.dir, "own-restart");
    const before = new InstanceRegistry(new SavedInitStore(saved), testKindContext(tmp.dir), 50);
    await before.init(kind, "s", { path: "a.db" }, "conn-a");
    // keyless restarts: daprd A reconnects and calls, it never re-sends Init.
    const r = new InstanceRegistry(new SavedInitStore(saved), testKindContext(tmp.dir), 50);
    const peerAsked: string[] = [];
    const callerA = { getPeer: () => (peerAsked.push("a2"), "conn-a2") };
    expect(await r.use(kind, "s", async (f) => f.props.path, callerA)).toBe("a.db");
    expect(await r.use(kind, "s", async (f) => f.props.path, callerA)).toBe("a.db");
    expect(peerAsked).toEqual(["a2"]); // asked once, when restoring; never on the common path
    await expect(r.init(kind, "s", { path: "b.db" }, "conn-b")).rejects.toMatchObject({
      code: "INSTANCE_IN_USE",
    });
    await r.init(kind, "s", { path: "a.db" }, "conn-b"); // the same metadata is still shared
    r.connectionClosed("conn-a2");
    r.connectionClosed("conn-b");
    await r.init(kind, "s", { path: "b.db" }, "conn-c"); // no live owner left
    expect(await r.use(kind, "s", async (f) => f.props.path)).toBe("b.db");
  });
});
