/**
 * One CachedCredential per identity for the whole process, shared by every component instance that
 * names that identity: N instances of the same identity cost one token per resource, not N.
 */
import type { TokenCredential } from "@azure/identity";
import { CachedCredential } from "./cachedCredential.js";
import { identityKey, type IdentitySpec } from "./identitySpec.js";
import { lazyCredentialFor } from "./lazyCredential.js";
import type { Metrics } from "../observability/metrics.js";

export class CredentialPool {
  private readonly byKey = new Map<string, CachedCredential>();

  constructor(
    private readonly factory: (spec: IdentitySpec) => TokenCredential = lazyCredentialFor,
    private readonly now: () => number = Date.now,
    private readonly metrics?: Metrics,
  ) {}

  get(spec: IdentitySpec): CachedCredential {
    const key = identityKey(spec);
    let c = this.byKey.get(key);
    if (!c) {
      // A renewal builds a new credential instance, so its own token caches start empty.
      c = new CachedCredential(spec, this.factory(spec), this.now, () => this.factory(spec), this.metrics);
      this.byKey.set(key, c);
    }
    return c;
  }

  /** Every identity used so far. */
  all(): CachedCredential[] {
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }
}
