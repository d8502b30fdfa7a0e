import path from "node:path";
import type { BackendCheck } from "./sourceCheck.js";

/**
 * The sqlite backend: where the database would be. Nothing is opened: a database the running keyless holds
 * must not be touched, and a missing one is created at Init.
 */
export const sqliteCheck: BackendCheck = async ({ md, doctor }) => {
  const file = md.path ? path.resolve(doctor.baseDir, md.path) : "(under KEYLESS_DATA_DIR)";
  return {
    checks: [
      {
        name: "sqlite",
        status: "ok",
        detail: `database ${md.connectionString ? "named by connectionString" : file}`,
      },
    ],
  };
};
