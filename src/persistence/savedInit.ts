/**
 * Saves each instance's non-secret Init metadata, because daprd never re-sends Init after keyless
 * restarts (pluggable-components spec 1.3). Only fields the component type declares and that are not
 * credentials are written; credential keys are recorded by name, so a restore can say exactly what is
 * missing, and unknown keys (accepted with allowUnknownMetadata, ignored by the component) are dropped.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
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

export class SavedInitStore {
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
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(doc, null, 2), { mode: 0o600 });
    await rename(tmp, target);
  }

  async load(category: string, instance: string): Promise<SavedInit | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(category, instance), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const doc = JSON.parse(text) as SavedInit;
    if (doc.version !== 1 || doc.instance !== instance || doc.category !== category) return undefined;
    return doc;
  }
}
