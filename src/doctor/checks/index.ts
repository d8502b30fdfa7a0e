/**
 * One check per kind of secret source and per state backend. The records are exhaustive: a kind added to
 * SOURCE_KINDS (metadata/secretMetadata.ts) or to the backend enum (metadata/stateMetadata.ts) does not
 * compile until it has its check here.
 */
import type { SourceKind } from "../../metadata/secretMetadata.js";
import type { StateMetadata } from "../../metadata/stateMetadata.js";
import { containerappCheck } from "./containerapp.js";
import { envCheck } from "./env.js";
import { fileCheck } from "./file.js";
import { keyvaultCheck } from "./keyvault.js";
import type { BackendCheck, SourceCheck } from "./sourceCheck.js";
import { sqliteCheck } from "./sqlite.js";
import { tablesCheck } from "./tables.js";

export type BackendKind = StateMetadata["backend"];

export const SOURCE_CHECKS: Record<SourceKind, SourceCheck> = {
  containerapp: containerappCheck,
  keyvault: keyvaultCheck,
  file: fileCheck,
  env: envCheck,
};

export const BACKEND_CHECKS: Record<BackendKind, BackendCheck> = {
  sqlite: sqliteCheck,
  tables: tablesCheck,
};
