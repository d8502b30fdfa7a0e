/**
 * keyless doctor's workload identity check, run before the token check of a component that uses
 * `azureCredential: workloadidentity`: the settings the Azure Workload Identity webhook provides, and the
 * projected token file (present, readable, a JWT, not expired) with the issuer, subject and audience that
 * Entra ID will match against a federated credential. Whether Entra accepts them is the token check's job.
 */
import { inspectFederatedToken } from "../../identity/federatedToken.js";
import type { IdentitySpec } from "../../identity/identitySpec.js";
import { settingsProblem, workloadSettings } from "../../identity/workloadSettings.js";
import type { Check } from "../report.js";

const AUDIENCE = "api://AzureADTokenExchange";

export async function workloadIdentityCheck(
  spec: Extract<IdentitySpec, { kind: "workload" }>,
  env: NodeJS.ProcessEnv,
  now: () => number = Date.now,
): Promise<Check> {
  const name = "workload identity";
  const wrong = settingsProblem(spec, env);
  if (wrong) return { name, status: "fail", detail: wrong.problem, fix: wrong.fix };
  const s = workloadSettings(spec, env);
  if ("code" in s) return { name, status: "fail", detail: s.message };
  const ids = `client id ${s.clientId} (${s.clientIdFrom}), tenant ${s.tenantId} (${s.tenantIdFrom}), authority ${s.authorityHost}`;
  const state = await inspectFederatedToken(s.tokenFile, now);
  if ("problem" in state)
    return {
      name,
      status: "fail",
      detail: `${ids}; token file ${s.tokenFile} ${state.problem}`,
      fix: state.fix,
    };
  const c = state.claims;
  const left =
    c.expiresAt === undefined
      ? ""
      : `, valid for ${Math.round((c.expiresAt * 1000 - now()) / 60_000)} more minutes`;
  const claims = `token file ${s.tokenFile}: issuer ${c.issuer}, subject ${c.subject}, audience ${c.audiences.join(",")}${left}`;
  if (!c.audiences.includes(AUDIENCE)) {
    return {
      name,
      status: "fail",
      detail: `${ids}; ${claims}`,
      fix: `the projected token's audience must be ${AUDIENCE} (the webhook's default); fix the pod's projected volume`,
    };
  }
  return { name, status: "ok", detail: `${ids}; ${claims}` };
}

/** The check when the identity is a workload identity (the first of the component's checks), else none. */
export async function workloadIdentityChecks(spec: IdentitySpec, env: NodeJS.ProcessEnv): Promise<Check[]> {
  return spec.kind === "workload" ? [await workloadIdentityCheck(spec, env)] : [];
}
