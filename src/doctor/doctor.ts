/**
 * `keyless doctor`: for each keyless component in the given YAMLs, which credential would be used,
 * whether a token can be had, whether the vault / table is reachable and the identity may use it, and
 * whether every secretKeyRef into a keyless secret store resolves, each failure with its fix.
 * It only reads: no secrets are printed, no table is created.
 */
import { listenerCheck } from "./checks/listener.js";
import { checkComponent, STATE_TYPE } from "./componentChecks.js";
import { createDoctorContext, type DoctorContext } from "./doctorContext.js";
import { loadComponents, type ComponentDoc } from "./loadComponents.js";
import type { ComponentReport, DoctorReport } from "./report.js";
import { SECRET_TYPE, SecretRefs } from "./secretRefs.js";

/** Settings whose presence (never their value) the report lists. */
const ENV_NAMES = [
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "MSI_ENDPOINT",
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_AUTHORITY_HOST",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST",
  "DAPR_COMPONENTS_SOCKETS_FOLDER",
  "NODE_EXTRA_CA_CERTS",
];

export interface DoctorOptions {
  paths: string[];
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

const isKeyless = (c: ComponentDoc) => c.type === SECRET_TYPE || c.type === STATE_TYPE;

export async function runDoctor(
  opts: DoctorOptions,
  doctor: DoctorContext = createDoctorContext(opts),
): Promise<DoctorReport> {
  const { components, problems, files } = loadComponents(opts.paths);
  const refs = new SecretRefs(components, doctor);
  const reports: ComponentReport[] = [];
  for (const c of components) {
    const report = await reportFor(c, refs, doctor);
    if (report) reports.push(report);
  }
  await refs.close();
  const keyless = components.filter(isKeyless).length;
  if (keyless === 0) {
    // Checking nothing is not a pass: the operator pointed the doctor at the wrong place.
    problems.push({
      file: opts.paths.join(", "),
      message: `no ${SECRET_TYPE} or ${STATE_TYPE} component found in ${files.length} YAML file(s); nothing was checked`,
    });
  }
  const listener = await listenerCheck(opts.env);
  const set = ENV_NAMES.filter((n) => opts.env[n] !== undefined);
  return {
    ok:
      problems.length === 0 &&
      listener.status !== "fail" &&
      reports.every((r) => r.checks.every((k) => k.status !== "fail")),
    listener,
    checked: { files, keylessComponents: keyless },
    environment: { set, unset: ENV_NAMES.filter((n) => !set.includes(n)) },
    components: reports,
    problems,
  };
}

/**
 * A keyless component's report; another component's only when it references a keyless secret store.
 * A reference that does not resolve stops there: the metadata it would fill in is missing.
 */
async function reportFor(
  c: ComponentDoc,
  refs: SecretRefs,
  doctor: DoctorContext,
): Promise<ComponentReport | undefined> {
  const resolved = await refs.resolve(c);
  const report: ComponentReport = { component: c.name, type: c.type, file: c.file, checks: resolved.checks };
  if (!isKeyless(c)) return resolved.checks.length > 0 ? report : undefined;
  if (resolved.checks.some((k) => k.status === "fail")) return report;
  await checkComponent(c, resolved.props, report, doctor);
  return report;
}
