/** Reads dev/seed.json: the identities, vault secrets and access rules the dev loop's stand-ins start with. */
import { readFileSync } from "node:fs";
import type { StandInIdentity } from "./identityStandIn.js";
import type { SeedSecret, VaultAccess } from "./keyVaultStandIn.js";

export interface Seed {
  tenantId: string;
  identities: StandInIdentity[];
  vault: { secrets: SeedSecret[]; access: Record<string, VaultAccess> };
  queueConnectionSecret: string;
}

export function readSeed(file: string): Seed {
  const doc = JSON.parse(readFileSync(file, "utf8")) as Partial<Seed>;
  if (!doc.tenantId || !Array.isArray(doc.identities) || !doc.vault || !doc.queueConnectionSecret) {
    throw new Error(`${file}: a seed needs tenantId, identities, vault and queueConnectionSecret`);
  }
  return doc as Seed;
}
