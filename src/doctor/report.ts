/** The doctor's findings and how they are printed: plain text for people, JSON for scripts. */
export type CheckStatus = "ok" | "fail" | "warn" | "skip";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure: the role to assign, the id to check, the command to run. */
  fix?: string;
}

export interface ComponentReport {
  component: string;
  type: string;
  file: string;
  identity?: string;
  checks: Check[];
}

export interface DoctorReport {
  ok: boolean;
  /** What was read: the YAML files, and how many keyless components they hold. */
  checked: { files: string[]; keylessComponents: number };
  environment: { set: string[]; unset: string[] };
  /** The metrics and health listener as this environment configures it, and whether keyless answers there. */
  listener?: Check;
  components: ComponentReport[];
  problems: { file: string; message: string }[];
}

const MARK: Record<CheckStatus, string> = { ok: "ok  ", fail: "FAIL", warn: "warn", skip: "skip" };

export function renderText(r: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`keyless doctor: ${r.ok ? "all checks passed" : "problems found"}`);
  lines.push(
    `checked: ${r.checked.keylessComponents} keyless component(s) in ${r.checked.files.length} YAML file(s)${r.checked.files.length > 0 ? ` (${r.checked.files.join(", ")})` : ""}`,
  );
  lines.push(
    `environment: set ${r.environment.set.join(", ") || "(none)"}; not set ${r.environment.unset.join(", ") || "(none)"}`,
  );
  if (r.listener) {
    lines.push(`[${MARK[r.listener.status]}] ${r.listener.name}: ${r.listener.detail}`);
    if (r.listener.fix && r.listener.status !== "ok") lines.push(`       fix: ${r.listener.fix}`);
  }
  for (const p of r.problems) lines.push(`\n${p.file}: ${p.message}`);
  for (const c of r.components) {
    lines.push("");
    lines.push(`${c.component} (${c.type}) from ${c.file}${c.identity ? `\n  identity: ${c.identity}` : ""}`);
    for (const k of c.checks) {
      lines.push(`  [${MARK[k.status]}] ${k.name}: ${k.detail}`);
      if (k.fix && k.status !== "ok") lines.push(`         fix: ${k.fix}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
