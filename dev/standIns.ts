/**
 * The stand-ins as a process of their own (docker-compose, or beside a daprd you run yourself):
 * the managed-identity endpoint and the Key Vault secrets API, seeded from dev/seed.json.
 *
 * Environment: STANDINS_HOST (default 127.0.0.1), IDENTITY_PORT (42356), VAULT_PORT (8443),
 * IDENTITY_HEADER (the shared secret clients must send; generated when unset), STANDINS_TLS_DIR (where the
 * test CA and certificate are written; clients trust <dir>/ca.pem), STANDINS_EXTRA_SANS (e.g. DNS:standins),
 * QUEUE_CONNECTION_STRING (stored in the vault under the seed's queueConnectionSecret).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startIdentityStandIn } from "./identityStandIn.js";
import { startKeyVaultStandIn } from "./keyVaultStandIn.js";
import { readSeed } from "./seed.js";
import { ensureTestTls } from "./tls.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = process.env;
const host = env.STANDINS_HOST ?? "127.0.0.1";
const seed = readSeed(env.STANDINS_SEED ?? path.join(ROOT, "dev/seed.json"));
const tls = ensureTestTls(
  path.resolve(env.STANDINS_TLS_DIR ?? path.join(ROOT, ".data/tls")),
  (env.STANDINS_EXTRA_SANS ?? "").split(",").filter(Boolean),
);
const identity = await startIdentityStandIn({
  identities: seed.identities,
  tenantId: seed.tenantId,
  host,
  port: Number(env.IDENTITY_PORT ?? 42356),
  ...(env.IDENTITY_HEADER && { header: env.IDENTITY_HEADER }),
});
const vault = await startKeyVaultStandIn({
  tls,
  signer: identity.signer,
  tenantId: seed.tenantId,
  host,
  port: Number(env.VAULT_PORT ?? 8443),
  secrets: seed.vault.secrets,
  access: seed.vault.access,
});
if (env.QUEUE_CONNECTION_STRING)
  vault.setSecret({ name: seed.queueConnectionSecret, value: env.QUEUE_CONNECTION_STRING });
process.stdout.write(
  `stand-ins ready: IDENTITY_ENDPOINT=${identity.endpoint.replace("127.0.0.1", host)} vault=${vault.url.replace("127.0.0.1", host)} CA=${tls.caFile}\n`,
);
const stop = async () => {
  await vault.close();
  await identity.close();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
