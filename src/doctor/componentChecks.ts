/**
 * The checks of one keyless component once its references resolved: its metadata, then the check of each
 * secret source in chain order, or of its state backend.
 */
import { describeIdentity } from "../identity/identitySpec.js";
import { parseSecretMetadata } from "../metadata/secretMetadata.js";
import { parseStateMetadata } from "../metadata/stateMetadata.js";
import { BACKEND_CHECKS, SOURCE_CHECKS } from "./checks/index.js";
import type { CheckOutcome } from "./checks/sourceCheck.js";
import type { DoctorContext } from "./doctorContext.js";
import type { ComponentDoc } from "./loadComponents.js";
import type { Check, ComponentReport } from "./report.js";

export const STATE_TYPE = "state.keyless";

/** Adds the component's checks to its report; `props` is its metadata with references resolved. */
export async function checkComponent(
  c: ComponentDoc,
  props: Record<string, string>,
  report: ComponentReport,
  doctor: DoctorContext,
): Promise<void> {
  const outcome =
    c.type === STATE_TYPE ? await checkState(c, props, doctor) : await checkSecretStore(c, props, doctor);
  report.checks.push(...outcome.checks);
  if (outcome.identity) report.identity = describeIdentity(outcome.identity);
}

async function checkSecretStore(
  c: ComponentDoc,
  props: Record<string, string>,
  doctor: DoctorContext,
): Promise<CheckOutcome> {
  const parsed = parseSecretMetadata(props);
  const md = parsed.value;
  if (!md || parsed.problems.length > 0) return { checks: [metadataFailed(c, parsed.problems)] };
  const checks: Check[] = [{ name: "metadata", status: "ok", detail: `sources ${md.sources.join(" -> ")}` }];
  let identity: CheckOutcome["identity"];
  for (const kind of md.sources) {
    const outcome = await SOURCE_CHECKS[kind]({ component: c, md, doctor });
    checks.push(...outcome.checks);
    identity ??= outcome.identity;
  }
  return { checks, ...(identity && { identity }) };
}

async function checkState(
  c: ComponentDoc,
  props: Record<string, string>,
  doctor: DoctorContext,
): Promise<CheckOutcome> {
  const parsed = parseStateMetadata(props);
  const md = parsed.value;
  if (!md || parsed.problems.length > 0) return { checks: [metadataFailed(c, parsed.problems)] };
  const outcome = await BACKEND_CHECKS[md.backend]({ component: c, md, doctor });
  const checks: Check[] = [
    { name: "metadata", status: "ok", detail: `backend ${md.backend}` },
    ...outcome.checks,
  ];
  return { ...outcome, checks };
}

function metadataFailed(c: ComponentDoc, problems: string[]): Check {
  return { name: "metadata", status: "fail", detail: problems.join("; "), fix: `fix ${c.file}` };
}
