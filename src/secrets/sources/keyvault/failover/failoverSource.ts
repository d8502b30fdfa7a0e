/**
 * A Key Vault source over several vaults (metadata `vaultUris`), tried in order for each call:
 * - a broken vault (unreachable, 5xx, 429, timing out: a transient SOURCE_FAILED) moves the call on to
 *   the next vault, and is benched (vaultHealth.ts) so later calls skip it until a single probe call
 *   finds it answering again;
 * - an answer ends the call, whatever it says: a 404 is "not here" for the whole store (the chain moves
 *   on to its next source kind, never to another vault), and a 403/401 surfaces as the configuration
 *   error it is;
 * - a caller that gives up leaves the vault's health as it was.
 * Only other vaults are tried: a broken vault never falls through to a file or env source. The cache in
 * front of this source (one per store) works per secret, whichever vault answered.
 */
import { secretErrors } from "../../../../errors/secrets.js";
import { isKeylessError } from "../../../../errors/keylessError.js";
import type { Logger } from "../../../../observability/logger.js";
import { noMetrics, type Metrics } from "../../../../observability/metrics.js";
import type { GetOptions, ListOptions, SecretSource, SecretValue, VersionedValue } from "../../../source.js";
import {
  abandoned,
  answered,
  broken,
  isOffered,
  offered,
  phaseOf,
  tried,
  UP,
  type VaultHealth,
} from "./vaultHealth.js";

export interface FailoverVault {
  /** The vault's host, as logs and the `vault` metric label show it. */
  host: string;
  source: SecretSource;
}

export interface FailoverOptions {
  instance: string;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** A number in [0, 1) that lengthens each bench a little; Math.random by default (tests pin it). */
  jitter?: () => number;
}

interface Failed {
  vault: string;
  reason: string;
  error: unknown;
}

export class FailoverSource implements SecretSource {
  readonly name: string;
  private health: VaultHealth[];
  private readonly metrics: Metrics;
  private readonly now: () => number;
  private readonly jitter: () => number;

  constructor(
    private readonly vaults: readonly FailoverVault[],
    private readonly opts: FailoverOptions,
  ) {
    this.name = `keyvault(${vaults.map((v) => v.host).join(", ")})`;
    this.health = vaults.map(() => UP);
    this.metrics = opts.metrics ?? noMetrics;
    this.now = opts.now ?? Date.now;
    this.jitter = opts.jitter ?? Math.random;
  }

  /** Each vault's health now (tests and the doctor read it). */
  get phases(): string[] {
    const now = this.now();
    return this.health.map((h) => phaseOf(h, now));
  }

  async get(name: string, options?: GetOptions): Promise<SecretValue | undefined> {
    return (await this.getVersioned(name, options))?.value;
  }

  getVersioned(name: string, options?: GetOptions): Promise<VersionedValue | undefined> {
    return this.run(name, options?.signal, async (s) => {
      if (s.getVersioned) return s.getVersioned(name, options);
      const value = await s.get(name, options);
      return value === undefined ? undefined : { value };
    });
  }

  list(options?: ListOptions): Promise<Map<string, SecretValue>> {
    return this.run(undefined, undefined, (s) => s.list(options));
  }

  async close(): Promise<void> {
    await Promise.all(this.vaults.map((v) => v.source.close?.()));
  }

  private async run<T>(
    secret: string | undefined,
    signal: AbortSignal | undefined,
    call: (s: SecretSource) => Promise<T>,
  ): Promise<T> {
    const failed: Failed[] = [];
    for (const i of offered(this.health, this.now())) {
      // Another call may have started probing this vault while this one tried an earlier vault.
      if (!isOffered(this.health[i]!, this.now())) continue;
      const vault = this.vaults[i]!;
      const { health, probe } = tried(this.health[i]!);
      this.health[i] = health;
      try {
        const out = await call(vault.source);
        this.answered(i, secret, out === undefined ? "not_found" : "ok");
        return out;
      } catch (e) {
        if (signal?.aborted) {
          this.health[i] = abandoned(this.health[i]!, probe);
          throw e;
        }
        if (!isKeylessError(e) || !e.transient) {
          this.answered(i, secret, "refused");
          throw e;
        }
        this.broken(i, e.retryAfterMs, probe);
        failed.push({ vault: vault.host, reason: e.reason ?? e.message, error: e });
      }
    }
    throw this.allFailed(secret, failed);
  }

  private answered(i: number, name: string | undefined, outcome: "ok" | "not_found" | "refused") {
    const vault = this.vaults[i]!.host;
    const wasFailing = this.health[i]!.failures > 0;
    this.health[i] = answered();
    this.metrics.failoverVaultCall(this.opts.instance, vault, outcome);
    if (wasFailing) this.opts.log.info({ vault }, `vault ${vault} answers again; calls go to it first`);
    this.opts.log.debug({ secretName: name, vault, outcome }, "vault answered");
  }

  private broken(i: number, retryAfterMs: number | undefined, probe: boolean): void {
    const vault = this.vaults[i]!.host;
    const was = this.health[i]!;
    const now = this.now();
    this.health[i] = broken(was, now, retryAfterMs, this.jitter(), probe);
    this.metrics.failoverVaultCall(this.opts.instance, vault, "broken");
    const next = this.vaults.find((_v, j) => j !== i && isOffered(this.health[j]!, now));
    const again = Math.ceil((this.health[i]!.until - now) / 1000);
    // One warning when a vault starts failing; its later failures while benched are debug lines.
    const line = `vault ${vault} is failing; ${next ? `calls move on to ${next.host}` : "no other vault is answering"}; it is tried again in ${again}s`;
    if (was.failures === 0) this.opts.log.warn({ vault }, line);
    else this.opts.log.debug({ vault, failures: this.health[i]!.failures }, line);
  }

  private allFailed(secret: string | undefined, failed: Failed[]) {
    const now = this.now();
    const tried = new Set(failed.map((f) => f.vault));
    const benched = this.vaults
      .map((v, i) => ({ vault: v.host, inMs: this.health[i]!.until - now }))
      .filter((b, i) => !tried.has(b.vault) && !isOffered(this.health[i]!, now));
    return secretErrors.vaultsFailed({
      instance: this.opts.instance,
      source: this.name,
      name: secret,
      failed,
      benched,
      cause: failed.at(-1)?.error,
    });
  }
}
