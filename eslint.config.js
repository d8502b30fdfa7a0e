import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { createNodeResolver, importX } from "eslint-plugin-import-x";

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
              // The error catalog names the vault domains; through the index it would import itself back.
              except: ["./index.ts", "./keyVaultDomains.ts"],
              message: "import the Key Vault source through its index.ts",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
