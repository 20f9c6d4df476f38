import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";

/**
 * The run's data folder template (vitest's global setup, apps/server/test/global-setup.ts): an
 * initialised embedded database and parsed contracts, so a test server starts from copies
 * instead of running PGlite's initdb, the migrations and the AsyncAPI parser itself (seconds
 * per start, with 20-odd test files starting servers, some several times).
 */
export const DATA_TEMPLATE = "dataTemplate";

/**
 * Copies the template's database into `<dataDir>/pglite` and, with `contracts`, the contract
 * cache of that set of documents into `<dataDir>/contract-cache`, each only when the template has
 * it and the folder does not exist yet (a test may have prepared its own). Without a template
 * (`template` undefined: a run without the global setup) the server makes them as in production.
 */
export function seedDataDir(
  dataDir: string,
  template: string | undefined,
  contracts: "fixtures" | "repo" | false,
): void {
  if (!template) return;
  const copy = (from: string, to: string) => {
    if (existsSync(from) && !existsSync(to)) cpSync(from, to, { recursive: true });
  };
  copy(join(template, "pglite"), join(dataDir, "pglite"));
  if (contracts) copy(join(template, "contract-cache", contracts), join(dataDir, "contract-cache"));
}
