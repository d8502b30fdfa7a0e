/**
 * The one declaration of a component type's metadata fields. Each field says, next to its schema, whether
 * its value is a credential and whether it may be logged; the parse schema, the log redaction allow-list,
 * what is saved to disk for restarts, and the README's metadata tables (checked by a test) all derive from
 * it, so a new field cannot be added without deciding both.
 */
import { z } from "zod";

export interface FieldRule {
  /** A credential is never saved to disk and never logged. */
  readonly credential: boolean;
  /** The value may appear in logs (Init lines); otherwise it is shown as "[redacted]". */
  readonly loggable: boolean;
}

export interface Field<S extends z.ZodType> extends FieldRule {
  readonly schema: S;
}

/** An ordinary setting: saved for restarts, shown in logs. */
export function setting<S extends z.ZodType>(schema: S): Field<S> {
  return { schema, credential: false, loggable: true };
}

/** A credential (connection string, key): never saved, never logged. */
export function credential<S extends z.ZodType>(schema: S): Field<S> {
  return { schema, credential: true, loggable: false };
}

type Shape<F extends Record<string, Field<z.ZodType>>> = { [K in keyof F]: F[K]["schema"] };

/** Keys daprd itself reads or adds; always accepted, never interpreted, harmless to save and log. */
export const DAPRD_KEYS: readonly string[] = ["keyPrefix", "actorStateStore", "namespace"];

export class MetadataDeclaration {
  private readonly byLower: ReadonlyMap<string, FieldRule & { name: string }>;
  private readonly daprd: ReadonlySet<string>;

  constructor(
    readonly componentType: string,
    fields: Readonly<Record<string, FieldRule>>,
  ) {
    this.byLower = new Map(
      Object.entries(fields).map(([name, f]) => [
        name.toLowerCase(),
        { name, credential: f.credential, loggable: f.loggable },
      ]),
    );
    this.daprd = new Set(DAPRD_KEYS.map((k) => k.toLowerCase()));
  }

  /** The declared field names, in declaration order (daprd's own keys not included). */
  get fieldNames(): string[] {
    return [...this.byLower.values()].map((f) => f.name);
  }

  get credentialNames(): string[] {
    return [...this.byLower.values()].filter((f) => f.credential).map((f) => f.name);
  }

  /** The canonical field a key names (keys match case-insensitively), if any. */
  fieldFor(key: string): string | undefined {
    return this.byLower.get(key.toLowerCase())?.name;
  }

  isDaprdKey(key: string): boolean {
    return this.daprd.has(key.toLowerCase());
  }

  isCredential(key: string): boolean {
    return this.byLower.get(key.toLowerCase())?.credential ?? false;
  }

  /** Only declared, loggable fields and daprd's keys; unknown keys may hold anything. */
  mayLog(key: string): boolean {
    if (this.isDaprdKey(key)) return true;
    return this.byLower.get(key.toLowerCase())?.loggable ?? false;
  }

  /** Only declared, non-credential fields and daprd's keys are ever written to disk. */
  mayPersist(key: string): boolean {
    if (this.isDaprdKey(key)) return true;
    const f = this.byLower.get(key.toLowerCase());
    return f !== undefined && !f.credential;
  }
}

/** Builds the zod object schema and the declaration from one table of fields. */
export function declareMetadata<F extends Record<string, Field<z.ZodType>>>(
  componentType: string,
  fields: F,
): { schema: z.ZodObject<Shape<F>>; declaration: MetadataDeclaration } {
  const shape = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.schema])) as Shape<F>;
  return { schema: z.object(shape), declaration: new MetadataDeclaration(componentType, fields) };
}
