/**
 * The `keyvault` source: Azure Key Vault through @azure/keyvault-secrets with the instance's identity.
 * - 404 means "not here" (the chain moves on); 401/403/429/5xx/network/timeouts stop the chain with a
 *   SOURCE_FAILED that names the vault, the identity and the fix.
 * - A 401 drops the cached token and retries once with a fresh client.
 * - BulkGet lists the vault (skipping disabled, expired and not-yet-valid secrets), reads at most
 *   `maxResults` values with a small parallelism cap, and tolerates single failing secrets.
 * daprd gives secret RPCs no deadline, so every vault call has its own timeout.
 */
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { errors } from "../../errors/catalog.js";
import { isKeylessError } from "../../errors/keylessError.js";
import type { CachedCredential } from "../../identity/cachedCredential.js";
import { describeIdentity } from "../../identity/identitySpec.js";
import type { Logger } from "../../observability/logger.js";
import { toKeyVaultName, type NameMapping } from "../keyVaultName.js";
import type { GetOptions, ListOptions, SecretSource } from "../source.js";

export const KEY_VAULT_SCOPE = "https://vault.azure.net/.default";
const BULK_PARALLELISM = 8;
const PAGE_SIZE = 25;

export interface KeyVaultSourceOptions {
  instance: string;
  vaultUrl: string;
  credential: CachedCredential;
  nameMapping: NameMapping;
  timeoutMs: number;
  log: Logger;
  /** Test seam only: extra SecretClient options (never used to weaken TLS). */
  clientOptions?: SecretClientOptions;
}

interface RestErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  details?: { error?: { innerError?: { code?: string } } };
  response?: { headers?: { get(name: string): string | undefined } };
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "REQUEST_SEND_ERROR",
]);

function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  const name = (e as { name?: unknown }).name;
  return name !== "AbortError" && typeof code === "string" && CONNECTION_CODES.has(code);
}

export function isLoopbackHost(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function createKeyVaultSource(opts: KeyVaultSourceOptions): SecretSource {
  const label = `keyvault(${new URL(opts.vaultUrl).host})`;
  const who = describeIdentity(opts.credential.spec);
  const makeClient = () =>
    new SecretClient(opts.vaultUrl, opts.credential, {
      // Retries are ours (see call()), so a throttled vault is not waited on inside the SDK.
      retryOptions: { maxRetries: 0 },
      // The challenge names vault.azure.net; a loopback stand-in cannot match that domain.
      disableChallengeResourceVerification: isLoopbackHost(opts.vaultUrl),
      ...opts.clientOptions,
    });
  let client = makeClient();

  const fail = (name: string | undefined, e: unknown) => {
    if (isKeylessError(e)) {
      // Identity failures already name the identity; say which source needed it.
      return errors.sourceFailed(opts.instance, label, name, e.message, e, {
        transient: e.code === "IDENTITY_UNREACHABLE",
      });
    }
    const r = e as RestErrorLike;
    const status = r.statusCode;
    if (r.name === "AbortError" || r.name === "TimeoutError") {
      return errors.sourceFailed(opts.instance, label, name, `no answer within ${opts.timeoutMs} ms`, e, {
        transient: true,
      });
    }
    if (status === 403 && r.details?.error?.innerError?.code === "SecretDisabled") {
      return errors.sourceFailed(opts.instance, label, name, "the secret is disabled in the vault", e);
    }
    if (status === 403) {
      return errors.sourceFailed(
        opts.instance,
        label,
        name,
        `${who} may not read secrets here (HTTP 403); grant it the "Key Vault Secrets User" role on the vault ` +
          `(or a "get"/"list" access policy)`,
        e,
      );
    }
    if (status === 401) {
      return errors.sourceFailed(
        opts.instance,
        label,
        name,
        `the vault rejected the token of ${who} (HTTP 401)`,
        e,
      );
    }
    if (status === 429) {
      const ra = Number(r.response?.headers?.get("retry-after"));
      const retryAfterMs = Number.isFinite(ra) && ra > 0 ? ra * 1000 : 1000;
      return errors.sourceFailed(
        opts.instance,
        label,
        name,
        `the vault is throttling requests (HTTP 429, retry after ${retryAfterMs / 1000}s)`,
        e,
        {
          transient: true,
          retryAfterMs,
        },
      );
    }
    if (status !== undefined && status >= 500) {
      return errors.sourceFailed(opts.instance, label, name, `the vault answered HTTP ${status}`, e, {
        transient: true,
      });
    }
    if (status === undefined) {
      const code = (e as { code?: string }).code;
      return errors.sourceFailed(
        opts.instance,
        label,
        name,
        `the vault is unreachable${code ? ` (${code})` : ""}`,
        e,
        { transient: true },
      );
    }
    return errors.sourceFailed(
      opts.instance,
      label,
      name,
      `the vault answered HTTP ${status}${r.code ? ` ${r.code}` : ""}`,
      e,
    );
  };

  /**
   * Runs a vault call under one overall timeout. A 401 drops the token, rebuilds the client and tries
   * once more; 5xx and connection failures are retried twice with a short backoff. 429 is never retried
   * here: it goes back to the cache with its Retry-After, which is where waiting belongs.
   */
  async function call<T>(fn: (c: SecretClient, signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    let refreshedToken = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(client, signal);
      } catch (e) {
        const status = (e as RestErrorLike).statusCode;
        if (status === 401 && !refreshedToken) {
          refreshedToken = true;
          opts.credential.invalidate(KEY_VAULT_SCOPE);
          client = makeClient();
          continue;
        }
        const retriable =
          !signal.aborted &&
          attempt < 2 &&
          (status === undefined ? isConnectionError(e) : status >= 500 && status !== 501 && status !== 505);
        if (!retriable) throw e;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  async function get(name: string, options?: GetOptions): Promise<string | undefined> {
    const vaultName = toKeyVaultName(name, opts.nameMapping);
    if (vaultName === undefined) return undefined;
    try {
      const s = await call((c, abortSignal) =>
        c.getSecret(vaultName, { abortSignal, ...(options?.version && { version: options.version }) }),
      );
      return s.value;
    } catch (e) {
      if ((e as RestErrorLike).statusCode === 404) return undefined;
      throw fail(name, e);
    }
  }

  async function list(options?: ListOptions): Promise<Map<string, string>> {
    const max = options?.maxResults;
    const names: string[] = [];
    const now = Date.now();
    try {
      await call(async (c, abortSignal) => {
        names.length = 0;
        for await (const page of c
          .listPropertiesOfSecrets({ abortSignal })
          .byPage({ maxPageSize: PAGE_SIZE })) {
          for (const p of page) {
            if (p.enabled === false || p.enabled === undefined) continue;
            if (p.expiresOn && p.expiresOn.getTime() <= now) continue;
            if (p.notBefore && p.notBefore.getTime() > now) continue;
            if (p.managed) continue; // certificate-backed secrets belong to Key Vault certificates
            names.push(p.name);
            if (max !== undefined && names.length >= max) return;
          }
        }
      });
    } catch (e) {
      throw fail(undefined, e);
    }
    const out = new Map<string, string>();
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const n = names[next++]!;
        try {
          const v = await get(n);
          if (v !== undefined) out.set(n, v);
        } catch (e) {
          // One unreadable secret must not fail the whole bulk read.
          opts.log.warn(
            { secretName: n, code: isKeylessError(e) ? e.code : "UNKNOWN" },
            "skipping a secret in BulkGet",
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BULK_PARALLELISM, names.length) }, worker));
    // Keep the vault's listing order.
    return new Map(names.filter((n) => out.has(n)).map((n) => [n, out.get(n)!]));
  }

  return { name: label, get, list };
}
