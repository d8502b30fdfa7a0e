/**
 * The tables backend: the identity's token for Storage when it signs in with one, then the table, opened as
 * serve opens it except that the doctor never creates it (it only reads).
 */
import { createTableFix, FIX_TABLES_REACH } from "../../errors/state.js";
import { STORAGE_SCOPE } from "../../identity/tokenScopes.js";
import type { StateMetadata } from "../../metadata/stateMetadata.js";
import { tablesAuthFor, type TablesAuth } from "../../state/backends/tables/index.js";
import type { DoctorContext } from "../doctorContext.js";
import { failureFacts } from "../failureFacts.js";
import type { Check } from "../report.js";
import { failedCheck } from "./failedCheck.js";
import type { BackendCheck } from "./sourceCheck.js";
import { tokenCheck } from "./token.js";
import { workloadIdentityChecks } from "./workloadIdentity.js";

export const tablesCheck: BackendCheck = async ({ component, md, doctor }) => {
  const { auth, identity } = tablesAuthFor(md, doctor.credentials);
  if (!identity) return { checks: [await tableCheck(doctor, component.name, md, auth)] };
  const checks = await workloadIdentityChecks(identity, doctor.env);
  const token = await tokenCheck(doctor, identity, STORAGE_SCOPE);
  checks.push(token);
  if (token.status === "ok") checks.push(await tableCheck(doctor, component.name, md, auth));
  return { identity, checks };
};

async function tableCheck(
  doctor: DoctorContext,
  instance: string,
  md: StateMetadata,
  auth: TablesAuth,
): Promise<Check> {
  const name = `table ${md.tableName}`;
  try {
    const backend = await doctor.openTables({
      instance,
      auth,
      table: md.tableName,
      skipCreateTable: true,
      cleanupIntervalMs: 3_600_000,
      timeoutMs: md.requestTimeout,
      now: Date.now,
      log: doctor.buildContext(instance).log,
    });
    await backend.close();
    return { name, status: "ok", detail: "reachable and readable" };
  } catch (e) {
    return (
      missingTable(name, md, e) ??
      failedCheck(name, e, {
        unexpected: "the table check failed unexpectedly",
        fix: FIX_TABLES_REACH,
      })
    );
  }
}

/**
 * The doctor opens the table with skipCreateTable whatever the metadata says, so a missing table is its
 * own finding, not the catalog's: it says what serve would do with this metadata.
 */
function missingTable(name: string, md: StateMetadata, e: unknown): Check | undefined {
  const f = failureFacts(e);
  if (f.httpStatus !== 404 || f.serviceCode !== "TableNotFound") return undefined;
  return md.skipCreateTable
    ? {
        name,
        status: "fail",
        detail: "the table does not exist and skipCreateTable is set, so keyless will not create it",
        fix: createTableFix({ table: md.tableName, skipCreateTable: true }),
      }
    : {
        name,
        status: "warn",
        detail: "the table does not exist yet; keyless creates it at Init (skipCreateTable is not set)",
        fix: 'the identity then needs "Storage Table Data Contributor"; or create the table and set skipCreateTable',
      };
}
