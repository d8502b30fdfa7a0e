/** The registry remembers which instances failed their Init or restore, for /readyz. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ComponentKind } from "../../../src/components/kind.js";
import { instanceErrors } from "../../../src/errors/instances.js";
import { stateMetadata } from "../../../src/metadata/stateMetadata.js";
import { testRegistry } from "../../helpers/contexts.js";
import { makeTmpDir } from "../../helpers/tmp.js";

const kind: ComponentKind<object> = {
  category: "state",
  features: [],
  metadata: stateMetadata,
  async build(props) {
    if (props.bad) throw instanceErrors.metadataInvalid("state.keyless", "x", ["bad: not allowed"]);
    return {};
  },
  async close() {},
};

describe("InstanceRegistry.failedInits", () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => (tmp = makeTmpDir("failed")));
  afterEach(() => tmp.cleanup());

  it("records a failed Init by code and clears it when a later Init succeeds", async () => {
    const r = testRegistry(tmp.dir);
    await expect(r.init(kind, "x", { bad: "1" })).rejects.toMatchObject({ code: "METADATA_INVALID" });
    expect([...r.failedInits()]).toEqual([["state/x", "METADATA_INVALID"]]);
    await r.init(kind, "x", {});
    expect(r.failedInits().size).toBe(0);
  });

  it("records a failed restore, not a call for an instance never seen", async () => {
    await testRegistry(tmp.dir).init(kind, "y", { connectionString: "AccountKey=canary", tableName: "t" });
    const fresh = testRegistry(tmp.dir);
    await expect(fresh.use(kind, "y", async () => 1)).rejects.toMatchObject({
      code: "INSTANCE_RESTORE_FAILED",
    });
    await expect(fresh.use(kind, "ghost", async () => 1)).rejects.toMatchObject({ code: "INSTANCE_UNKNOWN" });
    expect([...fresh.failedInits()]).toEqual([["state/y", "INSTANCE_RESTORE_FAILED"]]);
  });
});
