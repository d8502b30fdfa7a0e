/**
 * One interface for every place a secret can live. A source answers with a value, with `undefined` for
 * "not here" (the chain moves on), or throws a SOURCE_FAILED KeylessError for "broken" (the chain stops:
 * a failing Key Vault must never silently fall through to a local file).
 */
export interface SecretSource {
  /** Short name used in errors and logs, e.g. "file(./dev/secrets.json)". Never contains a value. */
  readonly name: string;
  get(name: string, options?: GetOptions): Promise<SecretValue | undefined>;
  /** Every secret this source can enumerate, for BulkGet (at most `maxResults` when given). */
  list(options?: ListOptions): Promise<Map<string, SecretValue>>;
  /** Like get, with the version that answered (Key Vault), so a cache can tell a rotation. */
  getVersioned?(name: string, options?: GetOptions): Promise<VersionedValue | undefined>;
  close?(): Promise<void>;
}

export interface GetOptions {
  /** A specific version (Key Vault `version_id`); sources without versions ignore it. */
  version?: string;
  /** Fires when the caller gives up (daprd cancelled the call, or its deadline passed). */
  signal?: AbortSignal;
}

export interface VersionedValue {
  value: SecretValue;
  version?: string;
}

export interface ListOptions {
  maxResults?: number;
}

/**
 * A secret is one value, or (multi-valued file secrets) several named values; a single value answers as
 * `{ <name>: <value> }`.
 */
export type SecretValue = string | Readonly<Record<string, string>>;
