/**
 * Bundles the built server (tsc's dist/src/main.js and everything it imports) into dist/src/main.js itself,
 * with the parts loaded on first use split into dist/src/chunks/. Node 20 has no compile cache, and
 * resolving, reading and compiling ~300 separate CommonJS and ESM files was most of keyless's time before
 * its socket was bound (README, Benchmarks). Every documented command (`node dist/src/main.js ...`) stays the
 * same; the rest of dist/ (tsc's per-file output) is what dev/, samples/ and the tests import.
 *
 * Left to node_modules, installed in the image too: better-sqlite3 (a native addon) and @azure/* (ES modules
 * loaded only when an instance needs them, after the socket is bound).
 *
 * A few bundled CommonJS files find files next to themselves through `__dirname` (@grpc/reflection's and
 * grpc-js's .proto files, pino's transport workers). In a bundle that name does not exist, so each such file
 * gets its own `__dirname`: the same folder inside the installed package, found at run time from wherever
 * the bundle is.
 */
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const ENTRY = path.join(ROOT, "dist/src/main.js");

/** "…/node_modules/@grpc/reflection/build/src/x.js" -> "node_modules/@grpc/reflection/build/src" */
function installedDir(file) {
  const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  return path
    .dirname(file.slice(at + 1))
    .split(path.sep)
    .join("/");
}

const packageDirname = {
  name: "package-dirname",
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!/\b__dirname\b/.test(text)) return undefined;
      return {
        contents: `var __dirname = __keylessInstalledDir(${JSON.stringify(installedDir(args.path))});\n${text}`,
        loader: "js",
      };
    });
  },
};

// Every output file starts with this: Node's require() for bundled CommonJS modules (an ES module has none),
// and the folder lookup above. A folder that is not installed gives undefined; only the unused code paths
// that would read from it fail, and say so.
const banner = [
  'import { createRequire as __keylessRequire } from "node:module";',
  'import { existsSync as __keylessExists } from "node:fs";',
  'import { dirname as __keylessDirname, join as __keylessJoin } from "node:path";',
  'import { fileURLToPath as __keylessPath } from "node:url";',
  "const require = __keylessRequire(import.meta.url);",
  "function __keylessInstalledDir(rel) {",
  "  for (let d = __keylessDirname(__keylessPath(import.meta.url)), up = 0; up < 6; up++, d = __keylessDirname(d)) {",
  "    const candidate = __keylessJoin(d, rel);",
  "    if (__keylessExists(candidate)) return candidate;",
  "  }",
  "  return undefined;",
  "}",
].join("\n");

// Chunk names carry content hashes: drop the previous build's.
rmSync(path.join(path.dirname(ENTRY), "chunks"), { recursive: true, force: true });

await build({
  entryPoints: [ENTRY],
  outdir: path.dirname(ENTRY),
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  external: ["better-sqlite3", "@azure/*"],
  plugins: [packageDirname],
  banner: { js: banner },
  logLevel: "warning",
});
