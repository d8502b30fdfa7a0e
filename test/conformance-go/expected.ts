/** The conformance assertions no pluggable component can pass, named with the reason. */
import type { ConformanceConfig } from "./stack.js";
import type { ExpectedFailure } from "./verdict.js";

/**
 * After a BulkSet (and a BulkDelete) with one stale etag, the state suite asserts a joined error with
 * one per-key BulkStoreError. daprd's pluggable adapter gets one gRPC status per BulkSet/BulkDelete call
 * and returns it as one ETagError, so that assertion fails for every pluggable component. It stops the
 * etag case there; the "-bulk-per-item" profiles run the whole case with one RPC per item.
 */
export function expectedFailures(config: ConformanceConfig): ExpectedFailure[] {
  return config.state
    .filter((p) => p.bulk === "rpc")
    .map((p) => ({
      test: `TestStateConformance/${p.name}/etag`,
      message: "Returned error is not a joined error",
      reason:
        "daprd's pluggable adapter receives one gRPC status per BulkSet call, so no pluggable component can return a per-item joined error; " +
        `the rest of this case runs in ${p.name}-bulk-per-item`,
    }));
}
