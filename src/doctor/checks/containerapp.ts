import { existsSync } from "node:fs";
import path from "node:path";
import { identityFromMetadata } from "../../identity/identitySpec.js";
import type { Check } from "../report.js";
import { failedCheck } from "./failedCheck.js";
import type { SourceCheck } from "./sourceCheck.js";

/**
 * The containerapp source: built as serve builds it (an unreadable manifest fails here as it would fail
 * Init), and its secrets volume, which exists only inside the container app.
 */
export const containerappCheck: SourceCheck = async ({ component, md, doctor }) => {
  const identity = identityFromMetadata(md);
  const mount = md.secretsMountPath ? path.resolve(doctor.baseDir, md.secretsMountPath) : undefined;
  try {
    await doctor.buildSource("containerapp", md, doctor.buildContext(component.name));
  } catch (e) {
    const failed = failedCheck("containerapp source", e, {
      unexpected: "building the source failed unexpectedly",
      fix: "fix containerAppManifest (relative paths resolve against keyless's working directory)",
    });
    return { identity, checks: [failed] };
  }
  const check: Check =
    mount && !existsSync(mount)
      ? {
          name: `secrets volume ${mount}`,
          status: "warn",
          detail: "does not exist here (it exists inside the container app when a secrets volume is mounted)",
        }
      : {
          name: "containerapp source",
          status: "ok",
          detail:
            `${mount ? `volume ${mount}` : ""}${md.containerAppManifest ? ` manifest ${md.containerAppManifest}` : ""}`.trim(),
        };
  return { identity, checks: [check] };
};
