/**
 * How a `state.keyless` instance on Tables authenticates, chosen from its metadata in one place, so
 * `keyless doctor` checks exactly what `serve` would use: a connection string, else a shared key, else the
 * instance's identity.
 */
import type { TokenCredential } from "@azure/identity";
import type { CredentialPool } from "../../../identity/credentialPool.js";
import { describeIdentity, identityFromMetadata, type IdentitySpec } from "../../../identity/identitySpec.js";
import type { StateMetadata } from "../../../metadata/stateMetadata.js";

export type TablesAuth =
  | { kind: "token"; endpoint: string; credential: TokenCredential; describe: string }
  | { kind: "connectionString"; connectionString: string }
  | { kind: "sharedKey"; endpoint: string; accountName: string; accountKey: string };

export function tablesAuthFor(
  md: StateMetadata,
  credentials: CredentialPool,
): { auth: TablesAuth; identity?: IdentitySpec } {
  if (md.connectionString)
    return { auth: { kind: "connectionString", connectionString: md.connectionString } };
  if (md.accountKey) {
    return {
      auth: {
        kind: "sharedKey",
        endpoint: md.tableEndpoint!,
        accountName: md.accountName!,
        accountKey: md.accountKey,
      },
    };
  }
  const identity = identityFromMetadata(md);
  return {
    identity,
    auth: {
      kind: "token",
      endpoint: md.tableEndpoint!,
      credential: credentials.get(identity),
      describe: describeIdentity(identity),
    },
  };
}
