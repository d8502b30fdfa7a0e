/**
 * Reads component YAMLs in both shapes operators have:
 * - Dapr: apiVersion/kind Component, metadata.name, spec.type, spec.metadata[{name, value|secretKeyRef}], auth.secretStore;
 * - Azure Container Apps: a flat document with componentType, metadata[{name, value|secretRef}], secrets[],
 *   secretStoreComponent; its name is the file name (the CLI flag gives it in ACA).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export interface MetadataItem {
  name: string;
  value?: string;
  /** Dapr secretKeyRef, or an ACA secretRef to a secret store component. */
  secretKeyRef?: { name: string; key: string };
  /** ACA secretRef to an entry of the component's own `secrets`. */
  inlineSecretRef?: string;
}

export interface ComponentDoc {
  file: string;
  name: string;
  type: string;
  schema: "dapr" | "containerapps";
  metadata: MetadataItem[];
  secretStore?: string;
  inlineSecrets: { name: string; value?: string; keyVaultUrl?: string; identity?: string }[];
}

export interface LoadResult {
  /** Every YAML file read. */
  files: string[];
  components: ComponentDoc[];
  problems: { file: string; message: string }[];
}

/** The YAML files a --components argument names, or a problem saying why there are none. */
function filesIn(p: string, problems: LoadResult["problems"]): string[] {
  try {
    if (statSync(p).isDirectory()) {
      return readdirSync(p)
        .filter((f) => /\.ya?ml$/i.test(f))
        .sort()
        .map((f) => path.join(p, f));
    }
    return [p];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.push({
      file: p,
      message: code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`,
    });
    return [];
  }
}

const str = (v: unknown) =>
  v === undefined || v === null ? undefined : typeof v === "string" ? v : JSON.stringify(v);

export function loadComponents(paths: string[]): LoadResult {
  const components: ComponentDoc[] = [];
  const problems: LoadResult["problems"] = [];
  const files = paths.flatMap((p) => filesIn(p, problems));
  for (const file of files) {
    let docs;
    try {
      docs = parseAllDocuments(readFileSync(file, "utf8"));
    } catch (e) {
      problems.push({
        file,
        message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      });
      continue;
    }
    for (const d of docs) {
      if (d.errors.length > 0) {
        problems.push({ file, message: `not valid YAML: ${d.errors[0]!.message.split("\n")[0]}` });
        continue;
      }
      const o = d.toJS() as Record<string, unknown> | null;
      if (!o || typeof o !== "object") continue;
      if (o.kind === "Component") {
        const spec = (o.spec ?? {}) as Record<string, unknown>;
        const md = Array.isArray(spec.metadata) ? (spec.metadata as Record<string, unknown>[]) : [];
        components.push({
          file,
          name: String(
            (o.metadata as { name?: string })?.name ?? path.basename(file).replace(/\.ya?ml$/i, ""),
          ),
          type: String(spec.type ?? ""),
          schema: "dapr",
          metadata: md.map((m) => {
            const ref = m.secretKeyRef as { name?: string; key?: string } | undefined;
            return {
              name: String(m.name),
              ...(m.value !== undefined && { value: str(m.value)! }),
              ...(ref?.name && { secretKeyRef: { name: ref.name, key: ref.key || ref.name } }),
            };
          }),
          ...((o.auth as { secretStore?: string })?.secretStore && {
            secretStore: (o.auth as { secretStore: string }).secretStore,
          }),
          inlineSecrets: [],
        });
      } else if (typeof o.componentType === "string") {
        const md = Array.isArray(o.metadata) ? (o.metadata as Record<string, unknown>[]) : [];
        const secrets = Array.isArray(o.secrets) ? (o.secrets as Record<string, unknown>[]) : [];
        const store = typeof o.secretStoreComponent === "string" ? o.secretStoreComponent : undefined;
        components.push({
          file,
          name: path.basename(file).replace(/\.ya?ml$/i, ""),
          type: o.componentType,
          schema: "containerapps",
          metadata: md.map((m) => {
            const ref = typeof m.secretRef === "string" ? m.secretRef : undefined;
            const inline = ref !== undefined && secrets.some((s) => s.name === ref);
            return {
              name: String(m.name),
              ...(m.value !== undefined && { value: str(m.value)! }),
              ...(ref && inline && { inlineSecretRef: ref }),
              ...(ref && !inline && { secretKeyRef: { name: ref, key: ref } }),
            };
          }),
          ...(store && { secretStore: store }),
          inlineSecrets: secrets.map((s) => ({
            name: String(s.name),
            ...(typeof s.value === "string" && { value: s.value }),
            ...(typeof s.keyVaultUrl === "string" && { keyVaultUrl: s.keyVaultUrl }),
            ...(typeof s.identity === "string" && { identity: s.identity }),
          })),
        });
      }
    }
  }
  return { files, components, problems };
}
