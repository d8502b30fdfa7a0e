/**
 * A stand-in for a Kubernetes cluster's service-account token issuer (the AKS OIDC issuer): it signs
 * projected service-account tokens (RS256) like the ones the kubelet writes into the file named by
 * AZURE_FEDERATED_TOKEN_FILE, and publishes its public keys (JWKS) for the Entra ID stand-in to trust,
 * as Entra fetches them from the issuer's OIDC discovery document.
 */
import { randomUUID } from "node:crypto";
import { writeFile, rename } from "node:fs/promises";
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from "jose";

/** The audience the Azure Workload Identity webhook asks the kubelet to put in projected tokens. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** The kubelet's default lifetime for the projected token the webhook mounts (expirationSeconds). */
export const PROJECTED_TOKEN_LIFETIME_SECONDS = 3600;

export interface MintOptions {
  namespace: string;
  serviceAccount: string;
  audience?: string;
  lifetimeSeconds?: number;
  /** Epoch seconds; defaults to the issuer's clock. */
  issuedAt?: number;
}

export interface MintedToken {
  token: string;
  /** The token's jti, so a test can tell which token an authority saw. */
  id: string;
  expiresAt: number;
}

export interface ServiceAccountIssuer {
  issuer: string;
  jwks: JSONWebKeySet;
  mint(opts: MintOptions): Promise<MintedToken>;
  /** Writes a fresh token to `file` the way the kubelet does (write aside, then rename). */
  writeTokenFile(file: string, opts: MintOptions): Promise<MintedToken>;
}

export async function createServiceAccountIssuer(
  opts: { issuer?: string; now?: () => number } = {},
): Promise<ServiceAccountIssuer> {
  const issuer = opts.issuer ?? `https://oidc.keyless.test/${randomUUID()}/`;
  const now = opts.now ?? Date.now;
  const kid = randomUUID();
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };

  const mint = async (m: MintOptions): Promise<MintedToken> => {
    const iat = m.issuedAt ?? Math.floor(now() / 1000);
    const exp = iat + (m.lifetimeSeconds ?? PROJECTED_TOKEN_LIFETIME_SECONDS);
    const id = randomUUID();
    const token = await new SignJWT({
      "kubernetes.io": {
        namespace: m.namespace,
        serviceaccount: { name: m.serviceAccount, uid: randomUUID() },
      },
    })
      .setProtectedHeader({ alg: "RS256", kid })
      .setIssuer(issuer)
      .setSubject(`system:serviceaccount:${m.namespace}:${m.serviceAccount}`)
      .setAudience([m.audience ?? TOKEN_EXCHANGE_AUDIENCE])
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(id)
      .sign(privateKey);
    return { token, id, expiresAt: exp };
  };

  return {
    issuer,
    jwks: { keys: [jwk] },
    mint,
    async writeTokenFile(file, m) {
      const t = await mint(m);
      const aside = `${file}.${process.pid}.tmp`;
      await writeFile(aside, t.token, { mode: 0o600 });
      await rename(aside, file);
      return t;
    },
  };
}
