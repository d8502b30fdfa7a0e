/**
 * Saves each instance's non-secret Init metadata, because daprd never re-sends Init after keyless
 * restarts (pluggable-components spec 1.3). Only fields the component type declares and that are not
 * credentials are written; credential keys are recorded by name, so a restore can say exactly what is
 * missing, and unknown keys (accepted with allowUnknownMetadata, ignored by the component) are dropped.
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

  constructor(private readonly dir: string) {}

  private file(category: string, instance: string): string {
    return path.join(this.dir, `${category}--${fileSafeName(instance)}.json`);
  }

  async save(
    category: string,
    instance: string,
    props: Record<string, string>,
    declaration: MetadataDeclaration,
  ) {
    const properties: Record<string, string> = {};
    const omittedKeys: string[] = [];
    for (const [k, v] of Object.entries(props)) {
      if (declaration.isCredential(k)) omittedKeys.push(k);
      else if (declaration.mayPersist(k)) properties[k] = v;
    }
    const doc: SavedInit = {
      version: 1,
      category,
      instance,
      properties,
      omittedKeys,
      savedAt: new Date().toISOString(),
    };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(category, instance);
    // One writer per file at a time, and a temporary name no other writer (or process) can share, so
    // concurrent saves never interleave bytes or rename each other's file away.
    const previous = this.writing.get(target) ?? Promise.resolve();
    const write = previous.then(() => writeAtomically(target, JSON.stringify(doc, null, 2)));
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
    return doc;
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
