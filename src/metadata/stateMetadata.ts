/** Metadata of a `state.keyless` component instance. README "state.keyless metadata" documents each field. */
import { z } from "zod";
import { boolText, durationText, parseMetadata, type ParseOutcome } from "./fields.js";
import { credential, declareMetadata, setting } from "./declaration.js";
import { identityFields, identityProblems } from "./identityFields.js";

export const TABLE_SUFFIX = {
  azurepubliccloud: "table.core.windows.net",
  azurechinacloud: "table.core.chinacloudapi.cn",
  azureusgovernmentcloud: "table.core.usgovcloudapi.net",
} as const;

const stateFields = {
  backend: setting(
    z
      .enum(["sqlite", "tables"], { message: 'must be "sqlite" (the default) or "tables"' })
      .optional()
      .default("sqlite"),
  ),
  path: setting(z.string().trim().min(1).optional()),
  /**
   * sqlite: the database file (as Dapr's state.sqlite); tables: a storage connection string. Often a
   * secretKeyRef, and on Tables it carries the account key, so it is a credential on both backends.
   */
  connectionString: credential(z.string().trim().min(1).optional()),
  tableName: setting(z.string().trim().optional()),
  synchronous: setting(
    z.enum(["normal", "full"], { message: 'must be "normal" or "full"' }).optional().default("normal"),
  ),
  busyTimeout: setting(durationText({ min: 0, max: 600_000 }).optional().default(5_000)),
  ttlCleanupInterval: setting(durationText({ min: 100, max: 86_400_000 }).optional().default(60_000)),
  tableEndpoint: setting(
    z
      .url({
        protocol: /^https?$/,
        message: "must be an https:// URL (http:// only for a local Azurite with a shared key)",
      })
      .optional(),
  ),
  accountName: setting(
    z
      .string()
      .trim()
      .regex(/^[a-z0-9]{3,24}$/, "must be a storage account name (3-24 lower-case letters and digits)")
      .optional(),
  ),
  accountKey: credential(z.string().trim().min(1).optional()),
  skipCreateTable: setting(boolText.optional().default(false)),
  requestTimeout: setting(durationText({ min: 100, max: 120_000 }).optional().default(10_000)),
  ...identityFields,
  allowUnknownMetadata: setting(boolText.optional().default(false)),
};

export const { schema: stateMetadataSchema, declaration: stateMetadata } = declareMetadata(
  "state.keyless",
  stateFields,
);

type Parsed = z.infer<typeof stateMetadataSchema>;
export type StateMetadata = Parsed & { tableName: string; tableEndpoint?: string | undefined };

const SQLITE_TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const AZURE_TABLE = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

export function parseStateMetadata(props: Record<string, string>): ParseOutcome<StateMetadata> {
  const out = parseMetadata(stateMetadataSchema, props);
  const v = out.value;
  if (!v) return out as ParseOutcome<StateMetadata>;
  const p = out.problems;
  p.push(...identityProblems(v));
  const tableName = v.tableName || (v.backend === "tables" ? "daprstate" : "state");
  let tableEndpoint = v.tableEndpoint?.replace(/\/+$/, "");
  if (v.backend === "sqlite") {
    if (v.path && v.connectionString)
      p.push("path, connectionString: give one of them; both name the database file");
    if (!SQLITE_TABLE.test(tableName))
      p.push("tableName: must be a letter or _ followed by up to 62 letters, digits or _");
    for (const k of ["tableEndpoint", "accountName", "accountKey"] as const) {
      if (v[k]) p.push(`${k}: only used with backend: tables`);
    }
  } else {
    if (!AZURE_TABLE.test(tableName))
      p.push("tableName: an Azure table name is 3-63 letters and digits, starting with a letter");
    if (v.path) p.push("path: only used with backend: sqlite");
    if (!tableEndpoint && v.accountName)
      tableEndpoint = `https://${v.accountName}.${TABLE_SUFFIX[v.azureEnvironment]}`;
    if (!v.connectionString && !tableEndpoint) {
      p.push("tableEndpoint: backend tables needs tableEndpoint or accountName (or a connectionString)");
    }
    if (v.accountKey && !v.accountName) p.push("accountName: required with accountKey");
    if (v.connectionString && (v.azureClientId || v.azureObjectId || v.azureManagedIdentityResourceId)) {
      p.push("connectionString: give either a connection string or an identity, not both");
    }
  }
  if (p.length > 0) return { problems: p, unknownKeys: out.unknownKeys };
  return { ...out, value: { ...v, tableName, ...(tableEndpoint && { tableEndpoint }) } };
}
