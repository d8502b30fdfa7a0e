/**
 * The `keyvault` source: Azure Key Vault through @azure/keyvault-secrets with the instance's identity.
 * - 404 means "not here" (the chain moves on); 401/403/429/5xx/network/timeouts stop the chain with a
 *   SOURCE_FAILED that names the vault, the identity, the secret asked for and the fix
 *   (classified by vaultFailure.ts from the facts of errors/azureFailure.ts, worded by errors/secrets.ts);
 * - call rules (deadline, one renewed-token retry after a 401, 5xx retries) live in keyVaultCaller.ts
 *   over identity/azureCaller.ts;
 * - BulkGet (list) answers a complete map or fails: see keyVaultListing.ts.
 */
import type { KeyVaultSecret, SecretClient, SecretClientOptions } from "@azure/keyvault-secrets";
import { describeAzureFailure } from "../../../errors/azureFailure.js";
import { secretErrors } from "../../../errors/secrets.js";
import { isKeylessError, type KeylessError } from "../../../errors/keylessError.js";
import type { AzureCaller } from "../../../identity/azureCaller.js";
import type { CachedCredential } from "../../../identity/cachedCredential.js";
import { describeIdentity } from "../../../identity/identitySpec.js";
import type { Logger } from "../../../observability/logger.js";
import type { Metrics } from "../../../observability/metrics.js";
import type { GetOptions, ListOptions, SecretSource, SecretValue, VersionedValue } from "../../source.js";
import { isCertificateContentType } from "./certificates/contentTypes.js";
import { hostOutsideKeyVaultDomains, keyVaultCaller } from "./keyVaultCaller.js";
import { listReadableNames, PAGE_SIZE, readAll } from "./keyVaultListing.js";
import { toKeyVaultName, type NameMapping } from "./keyVaultName.js";
import { classifyVaultFailure } from "./vaultFailure.js";

export interface KeyVaultSourceOptions {
  instance: string;
  vaultUrl: string;
  credential: CachedCredential;
  nameMapping: NameMapping;
  timeoutMs: number;
  log: Logger;
  metrics?: Metrics;
  /**
   * Answer a certificate's secret (PKCS#12 or PEM content type) as its parts, tls.crt / tls.key /
   * ca.crt (the store's multiValued mode); otherwise it answers as the raw value Key Vault holds.
   */
  certificateParts?: boolean;
  /** Test seam only: extra SecretClient options (never used to weaken TLS). */
  clientOptions?: SecretClientOptions;
  now?: () => number;
}

class KeyVaultSource implements SecretSource {
  readonly name: string;
  private readonly who: string;
  private readonly caller: AzureCaller<SecretClient>;
  private readonly hostOutsideKeyVaultDomains: string | undefined;

  constructor(private readonly opts: KeyVaultSourceOptions) {
    this.name = `keyvault(${new URL(opts.vaultUrl).host})`;
    this.who = describeIdentity(opts.credential.spec);
    this.caller = keyVaultCaller(opts.vaultUrl, opts.credential, opts.timeoutMs, opts.clientOptions);
    this.hostOutsideKeyVaultDomains = hostOutsideKeyVaultDomains(opts.vaultUrl, opts.clientOptions);
  }

  async get(name: string, options?: GetOptions): Promise<SecretValue | undefined> {
    return (await this.getVersioned(name, options))?.value;
  }

  async getVersioned(name: string, options?: GetOptions): Promise<VersionedValue | undefined> {
    try {
      return await this.readVersioned(name, options?.version, options?.signal);
    } catch (e) {
      throw this.fail(name, e);
    }
  }

  async list(options?: ListOptions): Promise<Map<string, SecretValue>> {
    const now = (this.opts.now ?? Date.now)();
    let names: string[];
    try {
      names = await this.caller.call((c, o) =>
        listReadableNames(
          c.listPropertiesOfSecrets(o).byPage({ maxPageSize: PAGE_SIZE }),
          now,
          options?.maxResults,
          this.opts.log,
          this.omitted,
        ),
      );
    } catch (e) {
      throw this.fail(undefined, e);
    }
    return readAll(
      names,
      (n) => this.read(n),
      (n, e) => this.fail(n, e),
      this.opts.log,
      this.omitted,
    );
  }

  private readonly omitted = (reason: string) =>
    this.opts.metrics?.bulkGetOmitted(this.opts.instance, reason);

  /** The value, undefined when the vault has no such secret (404), or the SDK's error. */
  private async read(name: string, version?: string): Promise<SecretValue | undefined> {
    return (await this.readVersioned(name, version))?.value;
  }

  private async readVersioned(
    name: string,
    version?: string,
    caller?: AbortSignal,
  ): Promise<VersionedValue | undefined> {
    const vaultName = toKeyVaultName(name, this.opts.nameMapping);
    if (vaultName === undefined) return undefined;
    let s: KeyVaultSecret;
    try {
      s = await this.caller.call(
        (c, o) => c.getSecret(vaultName, { ...o, ...(version && { version }) }),
        caller,
      );
    } catch (e) {
      if (describeAzureFailure(e).status === 404) return undefined;
      throw e;
    }
    if (s.value === undefined) return undefined;
    const value = await this.partsOf(name, s.value, s.properties.contentType);
    return { value, ...(s.properties.version && { version: s.properties.version }) };
  }

  /** A certificate's parts in multi-valued mode; any other value as it is. */
  private async partsOf(name: string, value: string, contentType: string | undefined): Promise<SecretValue> {
    if (!this.opts.certificateParts || !contentType || !isCertificateContentType(contentType)) return value;
    // Loaded with the first certificate, so stores without one never load node-forge.
    const cert = await import("./certificates/certificateParts.js");
    try {
      return cert.certificateParts(contentType, value, (this.opts.now ?? Date.now)());
    } catch (e) {
      if (!(e instanceof cert.CertificateProblem)) throw e;
      throw secretErrors.certificateUnreadable(this.opts.instance, this.name, name, e.reason);
    }
  }

  private fail(name: string | undefined, e: unknown): KeylessError {
    const { instance, timeoutMs } = this.opts;
    // Already worded for this source (a certificate keyless cannot use).
    if (isKeylessError(e) && e.code === "SOURCE_FAILED") return e;
    if (isKeylessError(e)) {
      // Identity failures already name the identity; say which source needed it.
      return secretErrors.sourceFailed({
        instance,
        source: this.name,
        name,
        reason: e.message,
        cause: e,
        transient: e.transient,
      });
    }
    const where = { timeoutMs, hostOutsideKeyVaultDomains: this.hostOutsideKeyVaultDomains };
    const failure = classifyVaultFailure(describeAzureFailure(e), where);
    return secretErrors.vaultFailed({ instance, source: this.name, name, who: this.who, failure, cause: e });
  }
}

export function createKeyVaultSource(opts: KeyVaultSourceOptions): SecretSource {
  return new KeyVaultSource(opts);
}
