import type { SourceCheck } from "./sourceCheck.js";

/**
 * The env source: how many variables carry the prefix in the doctor's own environment. keyless reads its
 * own, which may differ, so none is a warning, not a failure.
 */
export const envCheck: SourceCheck = async ({ md, doctor }) => {
  const prefix = md.envPrefix ?? "";
  const n = Object.keys(doctor.env).filter((k) => k.startsWith(prefix)).length;
  return {
    checks: [
      {
        name: `env ${prefix}*`,
        status: n > 0 ? "ok" : "warn",
        detail: `${n} variables with this prefix in this shell (keyless reads its own environment)`,
      },
    ],
  };
};
