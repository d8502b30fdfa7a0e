/**
 * The shape of a doctor check for one kind of secret source or state backend. The tables of checks
 * (checks/index.ts) are exhaustive records over the kinds, so a new kind does not compile without its check.
 */
import type { IdentitySpec } from "../../identity/identitySpec.js";
import type { SecretMetadata } from "../../metadata/secretMetadata.js";
import type { StateMetadata } from "../../metadata/stateMetadata.js";
import type { DoctorContext } from "../doctorContext.js";
import type { ComponentDoc } from "../loadComponents.js";
import type { Check } from "../report.js";

export interface CheckOutcome {
  checks: Check[];
  /** The identity the checked part reads with, named in the report. */
  identity?: IdentitySpec;
}

export interface CheckInput<M> {
  component: ComponentDoc;
  md: M;
  doctor: DoctorContext;
}

export type SourceCheck = (input: CheckInput<SecretMetadata>) => Promise<CheckOutcome>;
export type BackendCheck = (input: CheckInput<StateMetadata>) => Promise<CheckOutcome>;
