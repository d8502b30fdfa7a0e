/**
 * A secret store instance: Get and BulkGet over an ordered chain of sources.
 * https://docs.dapr.io/reference/api/secrets_api/ ; wire details in the pluggable-components spec 4.9.
 */
import { errors } from "../errors/catalog.js";
import type { SecretSource } from "./source.js";

export const MAX_SECRET_NAME_BYTES = 1024;

export class SecretStore {
  constructor(
    readonly instance: string,
    private readonly sources: readonly SecretSource[],
  ) {}

  get sourceNames(): string[] {
    return this.sources.map((s) => s.name);
  }

  /** Returns `{ [name]: value }` from the first source that has the secret; throws SECRET_NOT_FOUND naming every source. */
  async get(name: string): Promise<Record<string, string>> {
    validateSecretName(this.instance, name);
    for (const source of this.sources) {
      const value = await source.get(name);
      if (value !== undefined) return { [name]: value };
    }
    throw errors.secretNotFound(this.instance, name, this.sourceNames);
  }

  /** Every secret of every source; on a name clash the earlier source in the chain wins. */
  async bulkGet(): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (const source of this.sources) {
      for (const [name, value] of await source.list()) {
        if (!out.has(name)) out.set(name, { [name]: value });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close?.()));
  }
}

export function validateSecretName(instance: string, name: string): void {
  if (name.length === 0) throw errors.secretNameInvalid(instance, "the name is empty");
  if (Buffer.byteLength(name, "utf8") > MAX_SECRET_NAME_BYTES) {
    throw errors.secretNameInvalid(instance, `the name is longer than ${MAX_SECRET_NAME_BYTES} bytes`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw errors.secretNameInvalid(instance, "the name contains control characters");
  }
}
