/** A doctor context whose calls out of the process are fakes: tokens, sources, tables and queues. */
import type { AccessToken, TokenCredential } from "@azure/identity";
import { CredentialPool } from "../../../src/identity/credentialPool.js";
import type { IdentitySpec } from "../../../src/identity/identitySpec.js";
import { parseSecretMetadata, type SecretMetadata } from "../../../src/metadata/secretMetadata.js";
import { parseStateMetadata, type StateMetadata } from "../../../src/metadata/stateMetadata.js";
import { createDoctorContext, type DoctorContext } from "../../../src/doctor/doctorContext.js";
import type { ComponentDoc } from "../../../src/doctor/loadComponents.js";
import type { SecretSource } from "../../../src/secrets/source.js";

export type TokenAnswer = (spec: IdentitySpec, scope: string) => Promise<AccessToken>;

export const issue: TokenAnswer = async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 });

export function fakeDoctor(
  over: Partial<Omit<DoctorContext, "credentials">> & { token?: TokenAnswer } = {},
): DoctorContext {
  const { token = issue, ...rest } = over;
  const credentials = new CredentialPool((spec): TokenCredential => ({
    getToken: async (scopes) => token(spec, typeof scopes === "string" ? scopes : scopes[0]!),
  }));
  const unexpected = (what: string) => () => Promise.reject(new Error(`the test did not expect ${what}`));
  return {
    ...createDoctorContext({ env: { KEYLESS_METRICS_PORT: "0" }, baseDir: "/nowhere", credentials }),
    buildSource: unexpected("a source"),
    openTables: unexpected("a table"),
    rotationQueue: unexpected("a queue"),
    ...rest,
  };
}

export function component(name: string, file = `${name}.yaml`): ComponentDoc {
  return { file, name, type: "secretstores.keyless", schema: "dapr", metadata: [], inlineSecrets: [] };
}

export function secretMd(props: Record<string, string>): SecretMetadata {
  const r = parseSecretMetadata(props);
  if (!r.value || r.problems.length > 0) throw new Error(`bad test metadata: ${r.problems.join("; ")}`);
  return r.value;
}

export function stateMd(props: Record<string, string>): StateMetadata {
  const r = parseStateMetadata(props);
  if (!r.value || r.problems.length > 0) throw new Error(`bad test metadata: ${r.problems.join("; ")}`);
  return r.value;
}

/** A source whose list answers with these secrets, or fails with this error. */
export function fakeSource(answer: Record<string, string> | Error): SecretSource {
  return {
    name: "fake",
    get: async () => undefined,
    list: async () => {
      if (answer instanceof Error) throw answer;
      return new Map(Object.entries(answer));
    },
  };
}
