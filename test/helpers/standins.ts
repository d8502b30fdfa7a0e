/** Starts the local stand-ins with the suite's test certificate. */
import { ensureTestTls } from "../../dev/tls.js";
import { startIdentityStandIn, makeIdentity, type StandInIdentity } from "../../dev/identityStandIn.js";
import { startKeyVaultStandIn, type SeedSecret, type VaultAccess } from "../../dev/keyVaultStandIn.js";
import { recordCanaries } from "./suiteRecord.js";

export function testTls() {
  const dir = process.env.KEYLESS_TEST_TLS_DIR;
  if (!dir) throw new Error("KEYLESS_TEST_TLS_DIR is not set; run the tests through vitest.config.ts");
  return ensureTestTls(dir);
}

export async function startStandIns(opts: {
  identities: StandInIdentity[];
  secrets?: SeedSecret[];
  access?: Record<string, VaultAccess>;
  tokenLifetimeSeconds?: number;
}) {
  const identity = await startIdentityStandIn({
    identities: opts.identities,
    ...(opts.tokenLifetimeSeconds !== undefined && { tokenLifetimeSeconds: opts.tokenLifetimeSeconds }),
  });
  const vault = await startKeyVaultStandIn({
    tls: testTls(),
    signer: identity.signer,
    tenantId: identity.tenantId,
    ...(opts.secrets && { secrets: opts.secrets }),
    ...(opts.access && { access: opts.access }),
  });
  return {
    identity,
    vault,
    async close() {
      // Every token issued and every seeded value is a canary for the whole-suite scan.
      recordCanaries([...identity.issued, ...(opts.secrets ?? []).map((s) => s.value)]);
      await vault.close();
      await identity.close();
    },
  };
}

export { makeIdentity };

/** Variables that would make Azure clients bypass the stand-ins; removed from every test environment. */
export const AZURE_ENV_TO_SCRUB = [
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_CLIENT_SECRET",
  "IDENTITY_SERVER_THUMBPRINT",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST",
  "MSI_ENDPOINT",
  "MSI_SECRET",
  "IMDS_ENDPOINT",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "ALL_PROXY",
  "https_proxy",
  "http_proxy",
];

export function scrubAzureEnv(): void {
  for (const k of AZURE_ENV_TO_SCRUB) delete process.env[k];
}
