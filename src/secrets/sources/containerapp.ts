/**
 * The `containerapp` source: secrets as Azure Container Apps hands them to a container.
 * - The secrets volume (`secretsMountPath`, storageType: Secret): one file per secret, file name = secret
 *   name, content = value. Only names Container Apps allows (lower-case letters, digits, "-", ".") are
 *   looked up, so "../x", "/etc/passwd" or "a/b" can never leave the folder; dot-files are ignored, and
 *   an entry whose link resolves outside the folder is treated as absent.
 * - An app manifest (`containerAppManifest`, the JSON or YAML of `az containerapp show`): env vars of
 *   the container that carry a `secretRef` are read from this process's environment; otherwise a secret
 *   with `value` is served as is, and one with `keyVaultUrl` + `identity` is fetched from Key Vault
 *   with that identity (a user-assigned resource id, or "system"), as Container Apps itself would.
 */
import { readdir, readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { secretErrors } from "../../errors/secrets.js";
import type { Logger } from "../../observability/logger.js";
import type { SecretSource, SecretValue } from "../source.js";
import { readContainedFile } from "./containedFile.js";

const ACA_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

export interface ManifestSecret {
  name: string;
  value?: string;
  keyVaultUrl?: string;
  identity?: string;
}

export interface ContainerAppManifest {
  secrets: ManifestSecret[];
  /** secret name -> env var names that carry it */
  envBySecret: Map<string, string[]>;
}

/** Resolves a manifest `keyVaultUrl` reference; supplied by the component with the credential pool. */
export type KeyVaultReferenceResolver = (ref: {
  secret: string;
  keyVaultUrl: string;
  identity: string;
}) => Promise<SecretValue | undefined>;

export interface ContainerAppSourceOptions {
  instance: string;
  mountPath?: string;
  manifest?: ContainerAppManifest;
  env: NodeJS.ProcessEnv;
  resolveKeyVaultRef: KeyVaultReferenceResolver;
  /** Says (at debug) why a volume entry was ignored. */
  log?: Logger;
}

export function isContainerAppSecretName(name: string): boolean {
  return ACA_NAME.test(name) && !name.includes("..");
}

export async function loadContainerAppManifest(
  instance: string,
  file: string,
): Promise<ContainerAppManifest> {
  let doc: unknown;
  try {
    const text = await readFile(file, "utf8");
    doc = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw secretErrors.sourceFailed({
      instance,
      source: "containerapp",
      reason: `cannot read the app manifest ${file}${code ? ` (${code})` : " (not JSON/YAML)"}`,
    });
  }
  const root = (doc ?? {}) as Record<string, unknown>;
  const props = (root.properties ?? root) as Record<string, unknown>;
  const config = (props.configuration ?? {}) as { secrets?: unknown };
  const template = (props.template ?? {}) as { containers?: unknown };
  const secrets: ManifestSecret[] = [];
  for (const s of Array.isArray(config.secrets) ? config.secrets : []) {
    const o = s as Record<string, unknown>;
    if (typeof o.name !== "string") continue;
    secrets.push({
      name: o.name,
      ...(typeof o.value === "string" && { value: o.value }),
      ...(typeof o.keyVaultUrl === "string" && { keyVaultUrl: o.keyVaultUrl }),
      ...(typeof o.identity === "string" && { identity: o.identity }),
    });
  }
  const envBySecret = new Map<string, string[]>();
  for (const c of Array.isArray(template.containers) ? template.containers : []) {
    for (const e of Array.isArray((c as { env?: unknown }).env) ? (c as { env: unknown[] }).env : []) {
      const o = e as Record<string, unknown>;
      if (typeof o.name === "string" && typeof o.secretRef === "string") {
        envBySecret.set(o.secretRef, [...(envBySecret.get(o.secretRef) ?? []), o.name]);
      }
    }
  }
  return { secrets, envBySecret };
}

export function createContainerAppSource(opts: ContainerAppSourceOptions): SecretSource {
  const label = `containerapp(${[opts.mountPath ? `volume ${opts.mountPath}` : "", opts.manifest ? "manifest" : ""].filter(Boolean).join(", ")})`;

  async function fromVolume(name: string): Promise<string | undefined> {
    if (!opts.mountPath) return undefined;
    try {
      return await readContainedFile(opts.mountPath, name, opts.log);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw secretErrors.sourceFailed({
        instance: opts.instance,
        source: label,
        name,
        reason: `cannot read the secrets volume (${code ?? "error"})`,
        cause: e,
      });
    }
  }

  async function get(name: string): Promise<SecretValue | undefined> {
    if (!isContainerAppSecretName(name)) return undefined;
    const vol = await fromVolume(name);
    if (vol !== undefined) return vol;
    const m = opts.manifest;
    if (!m) return undefined;
    for (const envName of m.envBySecret.get(name) ?? []) {
      const v = opts.env[envName];
      if (v !== undefined) return v;
    }
    const s = m.secrets.find((x) => x.name === name);
    if (!s) return undefined;
    if (s.value !== undefined) return s.value;
    if (s.keyVaultUrl) {
      return opts.resolveKeyVaultRef({
        secret: name,
        keyVaultUrl: s.keyVaultUrl,
        identity: s.identity ?? "system",
      });
    }
    return undefined;
  }

  async function list(): Promise<Map<string, SecretValue>> {
    const names = new Set<string>(opts.manifest?.secrets.map((s) => s.name) ?? []);
    if (opts.mountPath) {
      try {
        for (const f of await readdir(opts.mountPath))
          if (!f.startsWith(".") && isContainerAppSecretName(f)) names.add(f);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
          throw secretErrors.sourceFailed({
            instance: opts.instance,
            source: label,
            reason: "cannot list the secrets volume",
            cause: e,
          });
        }
      }
    }
    const out = new Map<string, SecretValue>();
    for (const n of [...names].sort()) {
      const v = await get(n);
      if (v !== undefined) out.set(n, v);
    }
    return out;
  }

  return { name: label, get, list };
}
