import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import { readdirSync } from "node:fs";
import path from "node:path";

/**
 * The boot set: every module that loads before the socket is bound, paths under src/ ("dir/**" is a whole
 * folder). main.ts and server/ start here, and a module of the set may import values only from the set and
 * from BOOT_PACKAGES; anything else is reached through runtime/loadRuntime.ts (types may be imported from
 * anywhere). A module joins the set only if it is cheap to load: daprd scans the socket folder once.
 */
const BOOT_SET = [
  "main.ts",
  "commandLine.ts",
  "config.ts",
  "processSettings.ts",
  "server/**",
  "components/**",
  "runtime/loadRuntime.ts",
  "errors/**",
  "util/**",
  "supervisor/**",
  "gen/**",
  "identity/credentialPool.ts",
  "identity/cachedCredential.ts",
  "identity/identitySpec.ts",
  "identity/lazyCredential.ts",
  "observability/logger.ts",
  "observability/scrub.ts",
  "observability/redact.ts",
  "observability/healthBoard.ts",
  "observability/processEvents.ts",
  "observability/metrics.ts",
  "observability/opsConfig.ts",
  "observability/opsListener.ts",
  "observability/readiness.ts",
  "persistence/privateFs.ts",
  "persistence/savedInit.ts",
  "persistence/fileSafeName.ts",
];
const BOOT_PACKAGES = ["@grpc/grpc-js", "pino", "protobufjs"];
/** Modules inside a boot folder that load only after the bind (they read SDK errors, so they import an SDK). */
const NOT_BOOT = ["errors/azureFailure.ts"];

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A regex matching the relative specifiers that, written in a module of `dir`, leave the boot set. */
function outsideBootSet(dir) {
  const allowed = BOOT_SET.map((entry) => {
    const folder = entry.endsWith("/**");
    const target = folder ? entry.slice(0, -3) : entry.replace(/\.ts$/, ".js");
    let rel = path.posix.relative(dir, target);
    if (!rel.startsWith("..")) rel = rel === "" ? "." : `./${rel}`;
    if (!folder) return escapeRegex(rel);
    const outside = NOT_BOOT.filter((n) => n.startsWith(`${target}/`)).map((n) =>
      escapeRegex(n.slice(target.length + 1).replace(/\.ts$/, ".js")),
    );
    return outside.length === 0
      ? `${escapeRegex(rel)}/.+`
      : `${escapeRegex(rel)}/(?!(?:${outside.join("|")})$).+`;
  });
  return `^(?!(?:${allowed.join("|")})$)\\.`;
}

/**
 * The folders under src/ that hold modules of the boot set (a "dir/**" entry with every folder inside it),
 * each with the files of the set in it: each folder is linted with its own relative patterns.
 */
function bootFolders() {
  const folders = new Map();
  const add = (dir, files) => folders.set(dir, [...(folders.get(dir) ?? []), files]);
  for (const entry of BOOT_SET) {
    if (!entry.endsWith("/**")) {
      add(path.posix.dirname(entry), `src/${entry}`);
      continue;
    }
    const root = entry.slice(0, -3);
    const inside = readdirSync(path.join(import.meta.dirname, "src", root), {
      recursive: true,
      withFileTypes: true,
    })
      .filter((d) => d.isDirectory())
      .map((d) => path.relative(path.join(import.meta.dirname, "src"), path.join(d.parentPath, d.name)));
    for (const dir of [root, ...inside]) add(dir.split(path.sep).join("/"), `src/${dir}/*.ts`);
  }
  return folders;
}

function bootBoundary([dir, files]) {
  return {
    files,
    ignores: NOT_BOOT.map((n) => `src/${n}`),
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: outsideBootSet(dir),
              allowTypeImports: true,
              message:
                "this module loads before the socket is bound; reach the rest through loadRuntime() (runtime/loadRuntime.ts), or add the module to BOOT_SET if it is cheap",
            },
            {
              regex: `^(?!node:|\\.|(?:${BOOT_PACKAGES.map(escapeRegex).join("|")})(?:/|$))`,
              allowTypeImports: true,
              message:
                "this module loads before the socket is bound; load the package behind loadRuntime() (runtime/runtime.ts), or add it to BOOT_PACKAGES if it is cheap",
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ["dist/**", "src/gen/**", "node_modules/**", ".tools/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-properties": [
        "error",
        { object: "it", property: "only", message: "no .only in committed tests" },
        { object: "describe", property: "only", message: "no .only in committed tests" },
        { object: "test", property: "only", message: "no .only in committed tests" },
      ],
    },
  },
  {
    // Type-aware rules for the TypeScript sources: a promise nobody awaits loses its error.
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { project: "./tsconfig.check.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
    },
  },
  {
    // No import cycles in the sources: a cycle makes load order decide which binding is still undefined.
    files: ["src/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": [".ts"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      // The sources import "./x.js" for "./x.ts" (NodeNext).
      "import-x/resolver-next": [createNodeResolver({ extensionAlias: { ".js": [".ts", ".js"] } })],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      // A folder with an index.ts is reached through it from outside the folder.
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: import.meta.dirname,
          zones: [
            {
              target: [
                "src/*.ts",
                "src/!(state)/**",
                "src/state/*.ts",
                "src/state/!(backends)/**",
                "src/state/backends/*.ts",
              ],
              from: "src/state/backends/tables",
              except: ["./index.ts"],
              message: "import the Tables backend through its index.ts",
            },
            {
              target: [
                "src/*.ts",
                "src/!(secrets)/**",
                "src/secrets/*.ts",
                "src/secrets/!(sources)/**",
                "src/secrets/sources/*.ts",
              ],
              from: "src/secrets/sources/keyvault",
              except: ["./index.ts"],
              message: "import the Key Vault source through its index.ts",
            },
          ],
        },
      ],
    },
  },
  ...[...bootFolders()].map(bootBoundary),
  {
    // server/ and components/ reach everything after the bind through the one door, never an import() of their own.
    files: ["src/server/**/*.ts", "src/components/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression",
          message: "load what the server needs after the bind through loadRuntime() (runtime/loadRuntime.ts)",
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
