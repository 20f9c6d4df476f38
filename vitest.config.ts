import { defineConfig } from "vitest/config";

// Tests run after `pnpm build`: in-process code is loaded from TypeScript sources (the "source"
// export condition), while worker threads and child processes run the compiled JavaScript.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["{apps,libs}/*/{src,test}/**/*.test.{ts,tsx}"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
  },
});
