/** Metadata of a `secretstores.keyless` component instance. README "secretstores.keyless metadata" documents each field. */
import { z } from "zod";
import { boolText, durationText, parseMetadata, type ParseOutcome } from "./fields.js";
import { declareMetadata, setting } from "./declaration.js";
import { identityFields, identityProblems } from "./identityFields.js";

export const SOURCE_KINDS = ["containerapp", "keyvault", "file", "env"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

const listText = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

const sourcesText = listText
  .transform((list) => list.map((s) => s.toLowerCase()))
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

// A vault URL is logged and shown by the doctor, so anything that could carry a credential is refused.
const vaultUrlText = z.url({ protocol: /^https$/, message: "must be an https:// URL" }).refine(
  (u) => {
    // zod runs this refinement even when the URL check failed; that failure is already reported.
    if (!URL.canParse(u)) return true;
    const url = new URL(u);
    return !url.search && !url.hash && !url.username && !url.password;
  },
  { message: "must be the vault's URL alone (no query string, fragment or user info)" },
);

/** Vaults one store may fail over across; each is a `vault` label value, so the count stays small. */
export const MAX_VAULTS = 5;

export const VAULT_SUFFIX = {
  azurepubliccloud: "vault.azure.net",
  azurechinacloud: "vault.azure.cn",
  azureusgovernmentcloud: "vault.usgovcloudapi.net",
} as const;

const secretFields = {
  sources: setting(sourcesText.optional()),
  secretsFile: setting(z.string().trim().min(1).optional()),
  nestedSeparator: setting(z.string().min(1).max(8).optional().default(":")),
  multiValued: setting(boolText.optional().default(false)),
  envPrefix: setting(z.string().optional()),
  secretsMountPath: setting(z.string().trim().min(1).optional()),
  containerAppManifest: setting(z.string().trim().min(1).optional()),
  vaultName: setting(
    z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?!-)){1,22}[A-Za-z0-9]$/,
        "must be a Key Vault name (3-24 letters, digits and single dashes)",
      )
      .optional(),
  ),
  vaultUri: setting(vaultUrlText.optional()),
  vaultUris: setting(
    listText
      .pipe(z.array(vaultUrlText).min(2, "name two vaults or more (or use vaultUri)").max(MAX_VAULTS))
      .optional(),
  ),
  ...identityFields,
  nameMapping: setting(
    z.enum(["dashes", "none"], { message: 'must be "dashes" or "none"' }).optional().default("dashes"),
  ),
  cacheTTL: setting(durationText({ min: 0, max: 86_400_000 }).optional().default(300_000)),
  staleIfError: setting(
    durationText({ min: 0, max: 7 * 86_400_000 })
      .optional()
      .default(3_600_000),
  ),
  negativeCacheTTL: setting(durationText({ min: 0, max: 3_600_000 }).optional().default(10_000)),
  requestTimeout: setting(durationText({ min: 100, max: 120_000 }).optional().default(10_000)),
  rotationQueue: setting(
    z
      .string()
      .trim()
      .regex(
        /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/,
        "must be a Storage queue name (3-63 lower-case letters, digits and single dashes)",
      )
      .optional(),
  ),
  rotationQueueAccount: setting(
    z
      .string()
      .trim()
      .regex(/^[a-z0-9]{3,24}$/, "must be a storage account name (3-24 lower-case letters and digits)")
      .optional(),
  ),
  rotationQueueEndpoint: setting(
    z
      .url({ protocol: /^https$/, message: "must be an https:// URL (a token is never sent over http)" })
      .optional(),
  ),
  allowedSecrets: setting(listText.optional()),
  deniedSecrets: setting(listText.optional()),
  allowUnknownMetadata: setting(boolText.optional().default(false)),
};

export const { schema: secretMetadataSchema, declaration: secretStoreMetadata } = declareMetadata(
  "secretstores.keyless",
  secretFields,
);

type Parsed = z.infer<typeof secretMetadataSchema>;
export type SecretMetadata = Parsed & {
  sources: SourceKind[];
  /** The primary vault (vaultUrls[0]). */
  vaultUrl?: string;
  /** Every vault, in failover order; empty without a keyvault source. */
  vaultUrls: string[];
  /** The rotation queue's URL (service endpoint + queue name), when rotationQueue is set. */
  rotationQueueUrl?: string;
};

const QUEUE_SUFFIX = {
  azurepubliccloud: "queue.core.windows.net",
  azurechinacloud: "queue.core.chinacloudapi.cn",
  azureusgovernmentcloud: "queue.core.usgovcloudapi.net",
} as const;

export function parseSecretMetadata(props: Record<string, string>): ParseOutcome<SecretMetadata> {
  const out = parseMetadata(secretMetadataSchema, props);
  const v = out.value;
  if (!v) return out as ParseOutcome<SecretMetadata>;
  out.problems.push(...identityProblems(v));
  const given = (["vaultName", "vaultUri", "vaultUris"] as const).filter((k) => v[k] !== undefined);
  if (given.length > 1) out.problems.push(`${given.join(", ")}: give one of them, not several`);
  const vaultUrls = vaultUrlsOf(v, out.problems);
  const vaultUrl = vaultUrls[0];
  const sources: SourceKind[] = v.sources ?? [
    ...(v.secretsMountPath || v.containerAppManifest ? (["containerapp"] as const) : []),
    ...(vaultUrl ? (["keyvault"] as const) : []),
    ...(v.secretsFile ? (["file"] as const) : []),
    ...(v.envPrefix ? (["env"] as const) : []),
  ];
  if (sources.length === 0) {
    out.problems.push(
      "sources: no secret source is configured; set vaultName, secretsMountPath, containerAppManifest, secretsFile and/or envPrefix, or list sources",
    );
  }
  if (sources.includes("file") && !v.secretsFile)
    out.problems.push("secretsFile: required when the file source is listed");
  if (sources.includes("env") && !v.envPrefix) {
    out.problems.push(
      "envPrefix: required when the env source is listed, so that BulkGet never exposes unrelated environment variables",
    );
  }
  if (sources.includes("keyvault") && !vaultUrl)
    out.problems.push(
      "vaultName: required when the keyvault source is listed (or give vaultUri / vaultUris)",
    );
  if (sources.includes("containerapp") && !v.secretsMountPath && !v.containerAppManifest) {
    out.problems.push(
      "secretsMountPath: the containerapp source needs secretsMountPath and/or containerAppManifest",
    );
  }
  const rotationQueueUrl = rotationQueueUrlOf(v, sources, out.problems);
  if (out.problems.length > 0) return { problems: out.problems, unknownKeys: out.unknownKeys };
  return {
    ...out,
    value: {
      ...v,
      sources,
      vaultUrls,
      ...(vaultUrl && { vaultUrl }),
      ...(rotationQueueUrl && { rotationQueueUrl }),
    },
  };
}

/** The vaults in the order they are tried: the primary first. */
function vaultUrlsOf(v: Parsed, problems: string[]): string[] {
  const trim = (u: string) => u.replace(/\/+$/, "");
  if (v.vaultUris) {
    const urls = v.vaultUris.map(trim);
    const hosts = urls.map((u) => new URL(u).host.toLowerCase());
    if (new Set(hosts).size !== hosts.length) problems.push("vaultUris: a vault is listed twice");
    return urls;
  }
  if (v.vaultUri) return [trim(v.vaultUri)];
  if (v.vaultName) return [`https://${v.vaultName}.${VAULT_SUFFIX[v.azureEnvironment]}`];
  return [];
}

function rotationQueueUrlOf(v: Parsed, sources: SourceKind[], problems: string[]): string | undefined {
  const where = v.rotationQueueEndpoint ?? v.rotationQueueAccount;
  if (!v.rotationQueue) {
    if (where) problems.push("rotationQueue: required with rotationQueueAccount / rotationQueueEndpoint");
    return undefined;
  }
  if (v.rotationQueueAccount && v.rotationQueueEndpoint) {
    problems.push("rotationQueueAccount, rotationQueueEndpoint: give one of them, not both");
  } else if (!where) {
    problems.push("rotationQueueAccount: rotationQueue needs the queue's account (or rotationQueueEndpoint)");
  }
  if (!sources.includes("keyvault")) {
    problems.push(
      "rotationQueue: rotation events refresh Key Vault values; this store has no keyvault source",
    );
  }
  const service = v.rotationQueueEndpoint
    ? v.rotationQueueEndpoint.replace(/\/+$/, "")
    : `https://${v.rotationQueueAccount}.${QUEUE_SUFFIX[v.azureEnvironment]}`;
  return `${service}/${v.rotationQueue}`;
}
