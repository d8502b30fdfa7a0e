/** The stand-in vault's secrets, versions and per-identity access, as Key Vault's REST API shows them. */
import { randomBytes } from "node:crypto";

export interface SeedSecret {
  name: string;
  value: string;
  contentType?: string;
  enabled?: boolean;
  /** Epoch seconds. */
  notBefore?: number;
  expiresOn?: number;
  tags?: Record<string, string>;
}

export interface Version {
  version: string;
  value: string;
  contentType?: string;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  tags?: Record<string, string>;
}

export interface StoredSecret {
  name: string;
  versions: Version[];
}

/**
 * What an identity may do: read every secret ("*"), read the named ones (and see only those in lists), or
 * list every secret's metadata and read none ("metadata", as the Key Vault Reader role grants).
 */
export type VaultAccess = "*" | "metadata" | string[];

export class VaultSecrets {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly access = new Map<string, "*" | "metadata" | Set<string>>();

  /** Adds a new version (the latest) of a secret. Returns its version id. */
  set(s: SeedSecret): string {
    const key = s.name.toLowerCase();
    const entry = this.secrets.get(key) ?? { name: s.name, versions: [] };
    const version = randomBytes(16).toString("hex");
    entry.versions.push({
      version,
      value: s.value,
      ...(s.contentType !== undefined && { contentType: s.contentType }),
      enabled: s.enabled ?? true,
      ...(s.notBefore !== undefined && { nbf: s.notBefore }),
      ...(s.expiresOn !== undefined && { exp: s.expiresOn }),
      ...(s.tags !== undefined && { tags: s.tags }),
      created: Math.floor(Date.now() / 1000),
    });
    this.secrets.set(key, entry);
    return version;
  }

  get(name: string): StoredSecret | undefined {
    return this.secrets.get(name.toLowerCase());
  }

  all(): StoredSecret[] {
    return [...this.secrets.values()];
  }

  grant(objectId: string, names: VaultAccess): void {
    this.access.set(objectId, names === "*" || names === "metadata" ? names : new Set(names));
  }

  /** Whether the identity has any grant (list needs one). */
  hasAnyAccess(objectId: string): boolean {
    return this.access.has(objectId);
  }

  /** Whether the identity sees the secret in lists: any grant that covers it, or "metadata". */
  listable(objectId: string, secretName: string): boolean {
    return this.access.get(objectId) === "metadata" || this.allowed(objectId, secretName);
  }

  /** Whether the identity may read the secret's value. */
  allowed(objectId: string, secretName: string): boolean {
    const a = this.access.get(objectId);
    return (
      a === "*" || (a instanceof Set && [...a].some((n) => n.toLowerCase() === secretName.toLowerCase()))
    );
  }
}

export const attributes = (v: Version) => ({
  enabled: v.enabled,
  created: v.created,
  updated: v.created,
  ...(v.nbf !== undefined && { nbf: v.nbf }),
  ...(v.exp !== undefined && { exp: v.exp }),
  recoveryLevel: "Recoverable+Purgeable",
  recoverableDays: 90,
});
