/**
 * Reads a file of a mounted secrets folder only when its real path stays inside that folder. Kubernetes
 * and Container Apps secret volumes are made of links that stay inside (`name -> ..data/name`,
 * `..data -> ..2026_01_01_...`); a link to `/etc/passwd` or `../elsewhere` is treated as absent, so it is
 * never served or listed, and a debug line says why.
 */
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../observability/logger.js";

const ABSENT = new Set(["ENOENT", "EISDIR", "ENOTDIR", "ELOOP"]);

/** The file's content, or undefined when it does not exist or resolves outside `root`. Other errors throw. */
export async function readContainedFile(
  root: string,
  name: string,
  log?: Logger,
): Promise<string | undefined> {
  try {
    const realRoot = await realpath(root);
    const real = await realpath(path.join(root, name));
    if (!isInside(realRoot, real)) {
      log?.debug(
        { mount: root, entry: name },
        "ignoring a secrets volume entry whose link points outside the volume",
      );
      return undefined;
    }
    return await readFile(real, "utf8");
  } catch (e) {
    if (ABSENT.has((e as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw e;
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  // Not startsWith(".."): Kubernetes' own "..data" and "..2026_..." entries are inside.
  return rel !== "" && rel.split(path.sep)[0] !== ".." && !path.isAbsolute(rel);
}
