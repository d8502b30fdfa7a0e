/**
 * The wording of a component instance's life: the x-component-instance header that names it, Init and its
 * metadata, restoring it from its saved configuration, and two sidecars wanting one name.
 */
import { KeylessError } from "./keylessError.js";
import { FIX_METADATA, quote } from "./wording.js";

export const instanceErrors = {
  instanceHeaderMissing: (service: string) =>
    new KeylessError(
      "INSTANCE_HEADER_MISSING",
      `${service}: the call carries no x-component-instance header; daprd always sends it, so this caller is not daprd`,
    ),
  instanceHeaderConflict: (service: string, values: string[]) =>
    new KeylessError(
      "INSTANCE_HEADER_CONFLICT",
      `${service}: the call carries ${values.length} different x-component-instance values (${values.map((v) => quote(v, 60)).join(", ")}); send exactly one`,
    ),
  instanceUnknown: (component: string, instance: string) =>
    new KeylessError(
      "INSTANCE_UNKNOWN",
      `${component} instance ${quote(instance)} was never initialised by this keyless process and no saved configuration exists for it; ` +
        `restart the Dapr sidecar (daprd sends Init only when it starts or reloads the component)`,
    ),
  instanceRestoreFailed: (component: string, instance: string, reason: string, cause?: unknown) =>
    new KeylessError(
      "INSTANCE_RESTORE_FAILED",
      `${component} instance ${quote(instance)} could not be restored from its saved configuration (${reason}); ` +
        `restart the Dapr sidecar so it sends Init again`,
      { cause },
    ),
  metadataInvalid: (component: string, instance: string, problems: string[]) =>
    new KeylessError(
      "METADATA_INVALID",
      `${component} instance ${quote(instance)}: invalid component metadata: ${problems.join("; ")}`,
      { fix: FIX_METADATA },
    ),
  // Local data and instance ownership (issue 11).
  instanceInUse: (component: string, instance: string, differing: string[]) =>
    new KeylessError(
      "INSTANCE_IN_USE",
      `${component} instance ${quote(instance)} is already initialised by another live daprd connection with different metadata ` +
        `(${differing.join(", ")}); keyless refuses to swap it under that sidecar. Two sidecars on one keyless socket need ` +
        `different component names, or give each app its own keyless (KEYLESS_COMPONENT_NAME or its own socket folder)`,
    ),
};
