import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Runs bench/first-render.ts with vitest as the TypeScript runner (Node 20 cannot run .ts);
// not part of `pnpm test`, whose config only includes *.test.ts files.
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["bench/first-render.ts"],
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["verbose"],
  },
});
