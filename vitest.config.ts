import { defineConfig } from "vitest/config";

// Tests run the TypeScript sources (the "source" export condition), worker threads and the
// console's server child included (through tsx): no build of the server or libraries first.
// Only the console's end-to-end tests need its bundle, which `pnpm test` builds.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["{apps,libs}/*/{src,test}/**/*.test.{ts,tsx}"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One initialised embedded database for the whole run, copied by every test server.
    globalSetup: ["apps/server/test/global-setup.ts"],
    fileParallelism: false,
  },
});
