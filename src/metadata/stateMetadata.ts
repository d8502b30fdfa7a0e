/** Metadata of a `state.keyless` component instance. README "state.keyless metadata" documents each field. */
import { z } from "zod";
import { boolText, durationText, parseMetadata, type ParseOutcome } from "./fields.js";

export const stateMetadataSchema = z.object({
  backend: z
    .enum(["sqlite", "tables"], { message: 'must be "sqlite" (the default) or "tables"' })
    .optional()
    .default("sqlite"),
  path: z.string().trim().min(1).optional(),
  /** As in Dapr's built-in state.sqlite: the database file, optionally as a file: URI. Often a secretKeyRef. */
  connectionString: z.string().trim().min(1).optional(),
  tableName: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a letter or _ followed by up to 62 letters, digits or _")
    .optional()
    .default("state"),
  synchronous: z
    .enum(["normal", "full"], { message: 'must be "normal" or "full"' })
    .optional()
    .default("normal"),
  busyTimeout: durationText({ min: 0, max: 600_000 }).optional().default(5_000),
  ttlCleanupInterval: durationText({ min: 100, max: 86_400_000 }).optional().default(60_000),
  allowUnknownMetadata: boolText.optional().default(false),
});

export type StateMetadata = z.infer<typeof stateMetadataSchema>;

export function parseStateMetadata(props: Record<string, string>): ParseOutcome<StateMetadata> {
  const out = parseMetadata(stateMetadataSchema, props);
  if (out.value?.path && out.value.connectionString) {
    out.problems.push("path, connectionString: give one of them; both name the database file");
  }
  if (out.value?.backend === "tables") {
    out.problems.push('backend: "tables" is not available in this version of keyless; use "sqlite"');
    delete out.value;
  }
  return out;
}

/** Keys whose values are credentials: never written to disk, never logged. */
export const STATE_SECRET_KEYS: readonly string[] = ["connectionString", "accountKey"];
