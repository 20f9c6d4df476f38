// drizzle-kit configuration: writes reviewed SQL migrations to /migrations from src/schema.ts and src/quality-schema.ts.
// Run `pnpm db:generate` at the repository root (or `pnpm --filter @uns/store db:generate`).
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "drizzle-kit";

// Paths relative to the working directory, so the config works from the root and from libs/store.
const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
const fromCwd = (p: string) => relative(process.cwd(), resolve(here, p)) || ".";

export default defineConfig({
  dialect: "postgresql",
  schema: [fromCwd("src/schema.ts"), fromCwd("src/quality-schema.ts"), fromCwd("src/model-schema.ts")],
  out: fromCwd("../../migrations"),
  strict: true,
  verbose: true,
});
