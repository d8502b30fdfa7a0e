/**
 * Readiness (/readyz): every instance daprd initialised took its Init, each identity in use can still get
 * a token from its identity endpoint, and every extra check (rotation queues) passes. The identity check
 * asks the endpoint itself (a cached 24-hour token proves nothing about it), at most once per
 * `probeEveryMs` per identity; probes in between answer the last result. Reasons name the instance or
 * identity and an error code or catalog message, never a value, token or credential.
 */
import { isKeylessError } from "../errors/keylessError.js";
import type { CredentialPool } from "../identity/credentialPool.js";
import { describeIdentity, identityKey } from "../identity/identitySpec.js";
import { defaultIdentityCheckMs } from "./opsConfig.js";

export interface ReadinessSources {
  /** Instances whose latest Init failed: "<category>/<instance>" -> error code. */
  failedInits(): ReadonlyMap<string, string>;
  credentials: CredentialPool;
  /** Further not-ready reasons (rotation queues that cannot be read). */
  extra?: () => string[];
}

export interface ReadinessReport {
  ready: boolean;
  reasons: string[];
}

export class Readiness {
  private readonly lastProbe = new Map<string, { at: number; reason: string | undefined }>();

  constructor(
    private readonly sources: ReadinessSources,
    private readonly now: () => number = Date.now,
    private readonly probeEveryMs = defaultIdentityCheckMs(),
  ) {}

  async check(): Promise<ReadinessReport> {
    const reasons: string[] = [];
    for (const [key, code] of this.sources.failedInits()) {
      reasons.push(
        code === "INSTANCE_RESTORE_FAILED"
          ? `instance ${key} is not initialised: restoring it from saved Init metadata failed`
          : `instance ${key} is not initialised: its last Init failed with ${code}`,
      );
    }
    const probes = await Promise.all(this.sources.credentials.all().map((c) => this.probe(c)));
    reasons.push(...probes.filter((r): r is string => r !== undefined));
    reasons.push(...(this.sources.extra?.() ?? []));
    return { ready: reasons.length === 0, reasons };
  }

  private async probe(c: ReturnType<CredentialPool["all"]>[number]): Promise<string | undefined> {
    const key = identityKey(c.spec);
    const last = this.lastProbe.get(key);
    if (last && this.now() - last.at < this.probeEveryMs) return last.reason;
    let reason: string | undefined;
    try {
      await c.probe();
    } catch (e) {
      const why = isKeylessError(e) ? `${e.code}: ${e.message}` : "the token request failed";
      reason = `identity ${describeIdentity(c.spec)} cannot get a token (${why})`;
    }
    this.lastProbe.set(key, { at: this.now(), reason });
    return reason;
  }
}
