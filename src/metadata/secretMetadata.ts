/** Metadata of a `secretstores.keyless` component instance. README "secretstores.keyless metadata" documents each field. */
import { z } from "zod";
import { boolText, parseMetadata, type ParseOutcome } from "./fields.js";

export const SOURCE_KINDS = ["file", "env"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

const sourcesText = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s.length > 0),
  )
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const s of list) {
      if (!(SOURCE_KINDS as readonly string[]).includes(s)) {
        ctx.addIssue({
          code: "custom",
          message: `unknown source "${s}"; known sources: ${SOURCE_KINDS.join(", ")}`,
        });
      }
      if (seen.has(s)) ctx.addIssue({ code: "custom", message: `source "${s}" is listed twice` });
      seen.add(s);
    }
  })
  .transform((list) => list as SourceKind[]);

export const secretMetadataSchema = z.object({
  sources: sourcesText.optional(),
  secretsFile: z.string().trim().min(1).optional(),
  nestedSeparator: z.string().min(1).max(8).optional().default(":"),
  envPrefix: z.string().optional(),
  allowUnknownMetadata: boolText.optional().default(false),
});

export type SecretMetadata = z.infer<typeof secretMetadataSchema> & { sources: SourceKind[] };

export function parseSecretMetadata(props: Record<string, string>): ParseOutcome<SecretMetadata> {
  const out = parseMetadata(secretMetadataSchema, props);
  const v = out.value;
  if (!v) return out as ParseOutcome<SecretMetadata>;
  const sources: SourceKind[] = v.sources ?? [
    ...(v.secretsFile ? (["file"] as const) : []),
    ...(v.envPrefix ? (["env"] as const) : []),
  ];
  if (sources.length === 0) {
    out.problems.push(
      "sources: no secret source is configured; set secretsFile and/or envPrefix, or list sources",
    );
  }
  if (sources.includes("file") && !v.secretsFile) {
    out.problems.push("secretsFile: required when the file source is listed");
  }
  if (sources.includes("env") && !v.envPrefix) {
    out.problems.push(
      "envPrefix: required when the env source is listed, so that BulkGet never exposes unrelated environment variables",
    );
  }
  if (out.problems.length > 0) return { problems: out.problems, unknownKeys: out.unknownKeys };
  return { ...out, value: { ...v, sources } };
}

export const SECRET_STORE_SECRET_KEYS: readonly string[] = [];
