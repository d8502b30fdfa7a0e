/** The workload identity world for tests: a cluster token issuer, the Entra ID stand-in and the vault. */
import https from "node:https";
import path from "node:path";
import type { Duplex } from "node:stream";
import { createServiceAccountIssuer, type MintOptions } from "../../dev/serviceAccountIssuer.js";
import { startEntraStandIn, type EntraApplication } from "../../dev/entraStandIn.js";
import { makeIdentity } from "../../dev/identityStandIn.js";
import { startKeyVaultStandIn, type SeedSecret, type VaultAccess } from "../../dev/keyVaultStandIn.js";
import { testTls } from "./standins.js";
import { makeTmpDir } from "./tmp.js";

export interface WorkloadWorldOptions {
  /** Applications by name, each with the service account its federated credential trusts. */
  apps: { name: string; namespace: string; serviceAccount: string }[];
  secrets?: SeedSecret[];
  /** Vault access by application name. */
  access?: Record<string, VaultAccess>;
  now?: () => number;
}

export async function startWorkloadWorld(opts: WorkloadWorldOptions) {
  const tls = testTls();
  const cluster = await createServiceAccountIssuer(opts.now ? { now: opts.now } : {});
  const apps: EntraApplication[] = opts.apps.map((a) => ({
    ...makeIdentity(a.name),
    federatedCredentials: [
      { issuer: cluster.issuer, subject: `system:serviceaccount:${a.namespace}:${a.serviceAccount}` },
    ],
  }));
  const entra = await startEntraStandIn({
    tls,
    applications: apps,
    issuers: [{ issuer: cluster.issuer, jwks: cluster.jwks }],
    ...(opts.now && { now: opts.now }),
  });
  const byName = (name: string) => {
    const app = apps.find((a) => a.name === name);
    if (!app) throw new Error(`no application ${name}`);
    return app;
  };
  const vault = await startKeyVaultStandIn({
    tls,
    signer: entra.signer,
    tenantId: entra.tenantId,
    ...(opts.secrets && { secrets: opts.secrets }),
    access: Object.fromEntries(Object.entries(opts.access ?? {}).map(([n, a]) => [byName(n).objectId, a])),
  });
  const { dir, cleanup } = makeTmpDir("wi");
  return {
    cluster,
    entra,
    vault,
    apps,
    app: byName,
    dir,
    /** Writes a projected service-account token into `file` (default: <dir>/token), as the kubelet does. */
    writeToken: (m: MintOptions, file = path.join(dir, "token")) => cluster.writeTokenFile(file, m),
    tokenFile: path.join(dir, "token"),
    async close() {
      await vault.close();
      await entra.close();
      cleanup();
    },
  };
}

/**
 * An https.Agent that sends connections for the given host names to a local port, keeping the name for
 * TLS (SNI and certificate checks stay on): how a test makes "login.microsoftonline.com" the stand-in.
 */
export class RoutingAgent extends https.Agent {
  constructor(
    private readonly hosts: string[],
    private readonly port: number,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const host = options.hostname ?? options.host ?? "";
    if (!this.hosts.includes(host)) return super.createConnection(options, callback);
    return super.createConnection(
      { ...options, host: "127.0.0.1", hostname: "127.0.0.1", port: this.port, servername: host },
      callback,
    );
  }
}
