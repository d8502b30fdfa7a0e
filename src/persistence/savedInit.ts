/**
 * Saves each instance's non-secret Init metadata, because daprd never re-sends Init after keyless
 * restarts (pluggable-components spec 1.3). Only fields the component type declares and that are not
 * credentials are written; credential keys are recorded by name, so a restore can say exactly what is
 * missing, and unknown keys (accepted with allowUnknownMetadata, ignored by the component) are dropped.
 *
 * With a credentials folder (opt-in, KEYLESS_SAVE_CREDENTIALS), the credential values of an instance that
 * has any are written there too, one 0600 file per instance in a 0700 folder of its own (so it can be a
 * tmpfs), and read back on restore: an instance with a connection string or SAS then survives a keyless
 * restart as an identity-based one does. They are never logged, and the file goes when an Init without
 * credentials replaces the instance.
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import type { ZodType } from "zod";
import type { MetadataDeclaration } from "../metadata/declaration.js";
import { fileSafeName } from "./fileSafeName.js";

export interface SavedInit {
  version: 1;
  category: string;
  instance: string;
  properties: Record<string, string>;
  omittedKeys: string[];
  savedAt: string;
  /** The credential values, when they were saved (opt-in) and could be read back. */
  credentials?: Record<string, string>;
}

/** zod loads on the first restore, not at start-up (it costs ~40 ms before the socket bind). */
async function parseSavedInit(json: unknown): Promise<SavedInit> {
  const { z } = await import("zod");
  const schema: ZodType<SavedInit> = z.object({
    version: z.literal(1),
    category: z.string(),
    instance: z.string(),
    properties: z.record(z.string(), z.string()),
    omittedKeys: z.array(z.string()),
    savedAt: z.string(),
  });
  return schema.parse(json);
}

export class SavedInitStore {
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    /** Where credential values are saved; undefined: never (the default). */
    private readonly credentialsDir?: string,
  ) {}

  private file(category: string, instance: string, dir = this.dir): string {
    return path.join(dir, `${category}--${fileSafeName(instance)}.json`);
  }

  async save(
    category: string,
    instance: string,
    props: Record<string, string>,
    declaration: MetadataDeclaration,
  ) {
    const properties: Record<string, string> = {};
    const omittedKeys: string[] = [];
    const credentials: Record<string, string> = {};
    for (const [k, v] of Object.entries(props)) {
      if (declaration.isCredential(k)) {
        omittedKeys.push(k);
        credentials[k] = v;
      } else if (declaration.mayPersist(k)) properties[k] = v;
    }
    if (this.credentialsDir) await this.saveCredentials(category, instance, credentials);
    const doc: SavedInit = {
      version: 1,
      category,
      instance,
      properties,
      omittedKeys,
      savedAt: new Date().toISOString(),
    };
    await this.write(this.dir, this.file(category, instance), JSON.stringify(doc, null, 2));
  }

  /** The credential values of an instance that has any, or its old file removed when it has none now. */
  private async saveCredentials(category: string, instance: string, values: Record<string, string>) {
    const target = this.file(category, instance, this.credentialsDir);
    if (Object.keys(values).length === 0) {
      await unlink(target).catch(() => undefined);
      return;
    }
    await this.write(this.credentialsDir!, target, JSON.stringify({ version: 1, instance, values }));
  }

  private async write(dir: string, target: string, text: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // One writer per file at a time, and a temporary name no other writer (or process) can share, so
    // concurrent saves never interleave bytes or rename each other's file away.
    const previous = this.writing.get(target) ?? Promise.resolve();
    const write = previous.then(() => writeAtomically(target, text));
    const settled = write.catch(() => undefined);
    this.writing.set(target, settled);
    void settled.then(() => {
      if (this.writing.get(target) === settled) this.writing.delete(target);
    });
    await write;
  }

  async load(category: string, instance: string): Promise<SavedInit | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(category, instance), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const doc = await parseSavedInit(JSON.parse(text));
    if (doc.instance !== instance || doc.category !== category) return undefined;
    if (!this.credentialsDir || doc.omittedKeys.length === 0) return doc;
    const credentials = await this.loadCredentials(category, instance);
    return credentials ? { ...doc, credentials } : doc;
  }

  /** Whether credential values are saved (KEYLESS_SAVE_CREDENTIALS). */
  get savesCredentials(): boolean {
    return this.credentialsDir !== undefined;
  }

  private async loadCredentials(category: string, instance: string) {
    let text: string;
    try {
      text = await readFile(this.file(category, instance, this.credentialsDir), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const { z } = await import("zod");
    const doc = z
      .object({ version: z.literal(1), instance: z.string(), values: z.record(z.string(), z.string()) })
      .parse(JSON.parse(text));
    return doc.instance === instance ? doc.values : undefined;
  }
}

/** Writes to a uniquely named temporary file, flushes it, and renames it over the target. */
async function writeAtomically(target: string, text: string): Promise<void> {
  const tmp = `${target}.${process.pid}.${randomUUID()}.tmp`;
  try {
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
