/**
 * A secret store instance: Get and BulkGet over an ordered chain of sources, with allow/deny lists.
 * https://docs.dapr.io/reference/api/secrets_api/ ; wire details in the pluggable-components spec 4.9.
 */
import { secretErrors } from "../errors/secrets.js";
import { isKeylessError } from "../errors/keylessError.js";
import { noMetrics, type Metrics, type SecretOutcome } from "../observability/metrics.js";
import type { SecretSource, SecretValue } from "./source.js";

const asMap = (name: string, v: SecretValue): Record<string, string> =>
  typeof v === "string" ? { [name]: v } : { ...v };

export const MAX_SECRET_NAME_BYTES = 1024;

export interface SecretPolicy {
  allowed?: readonly string[];
  denied?: readonly string[];
}

export class SecretStore {
  private readonly allowed?: Set<string>;
  private readonly denied: Set<string>;

  constructor(
    readonly instance: string,
    private readonly sources: readonly SecretSource[],
    policy: SecretPolicy = {},
    /** Some source answers several key/value pairs per secret (MULTIPLE_KEY_VALUES_PER_SECRET). */
    readonly multiValued = false,
    private readonly metrics: Metrics = noMetrics,
  ) {
    if (policy.allowed) this.allowed = new Set(policy.allowed);
    this.denied = new Set(policy.denied ?? []);
  }

  get sourceNames(): string[] {
    return this.sources.map((s) => s.name);
  }

  /**
   * Returns `{ [name]: value }` from the first source that has the secret. Request metadata `version_id`
   * selects a version where a source has versions. Throws SECRET_NOT_FOUND naming every source consulted,
   * SECRET_NOT_ALLOWED for names the policy excludes, and SOURCE_FAILED when a source is broken (the chain
   * stops there: a failing vault never falls through to a local file unnoticed).
   */
  async get(
    name: string,
    metadata: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Record<string, string>> {
    let source = "none";
    try {
      validateSecretName(this.instance, name);
      this.checkPolicy(name);
      const version = metadata.version_id || undefined;
      for (const s of this.sources) {
        source = s.name;
        const value = await s.get(name, { ...(version && { version }), ...(signal && { signal }) });
        if (value !== undefined) {
          this.metrics.secretRequest(this.instance, source, "ok");
          return asMap(name, value);
        }
      }
      throw secretErrors.secretNotFound(this.instance, name, this.sourceNames);
    } catch (e) {
      const outcome = outcomeOf(e);
      this.metrics.secretRequest(this.instance, outcome === "error" ? source : "none", outcome);
      throw e;
    }
  }

  /** Every secret of every source, allowed by the policy; earlier sources win a name clash. `maxresults` caps the count. */
  async bulkGet(metadata: Record<string, string> = {}): Promise<Map<string, Record<string, string>>> {
    const max = parseMaxResults(this.instance, metadata.maxresults);
    const out = new Map<string, Record<string, string>>();
    for (const source of this.sources) {
      if (max !== undefined && out.size >= max) break;
      const remaining = max === undefined ? undefined : max - out.size;
      for (const [name, value] of await source.list(
        remaining === undefined ? undefined : { maxResults: remaining },
      )) {
        if (max !== undefined && out.size >= max) break;
        if (!out.has(name) && this.isAllowed(name)) out.set(name, asMap(name, value));
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close?.()));
  }

  private isAllowed(name: string): boolean {
    return !this.denied.has(name) && (this.allowed === undefined || this.allowed.has(name));
  }

  private checkPolicy(name: string): void {
    if (this.denied.has(name))
      throw secretErrors.secretNotAllowed(this.instance, name, "it is listed in deniedSecrets");
    if (this.allowed && !this.allowed.has(name)) {
      throw secretErrors.secretNotAllowed(this.instance, name, "it is not listed in allowedSecrets");
    }
  }
}

function outcomeOf(e: unknown): SecretOutcome {
  if (!isKeylessError(e)) return "error";
  switch (e.code) {
    case "SECRET_NOT_FOUND":
      return "not_found";
    case "SECRET_NOT_ALLOWED":
      return "denied";
    case "SECRET_NAME_INVALID":
      return "invalid";
    default:
      return "error";
  }
}

function parseMaxResults(instance: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d{1,6}$/.test(raw)) throw secretErrors.maxResultsInvalid(instance, raw);
  const n = Number(raw);
  return n > 0 ? n : undefined;
}

export function validateSecretName(instance: string, name: string): void {
  if (name.length === 0) throw secretErrors.secretNameInvalid(instance, "the name is empty");
  if (Buffer.byteLength(name, "utf8") > MAX_SECRET_NAME_BYTES) {
    throw secretErrors.secretNameInvalid(instance, `the name is longer than ${MAX_SECRET_NAME_BYTES} bytes`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw secretErrors.secretNameInvalid(instance, "the name contains control characters");
  }
}
