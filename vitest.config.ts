import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          sequence: { groupOrder: 1 },
          include: ["test/socket/**/*.test.ts", "test/e2e/**/*.test.ts", "test/conformance/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Each file starts its own keyless + daprd; two at a time fit 2 cores.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
    ],
  },
});
