/**
 * `node --conditions=source --import tsx make-test-template.ts DIR`: what every test server would
 * otherwise make for itself at start, made once: DIR/pglite (the compliance store opened and
 * closed: PGlite's initdb and the migrations) and the contract caches of the two sets of
 * documents test servers load, DIR/contract-cache/fixtures (apps/server/test/fixtures) and
 * DIR/contract-cache/repo (the repository's asyncapi/). Run by global-setup.ts in a process of
 * its own: the store starts initdb in a worker thread, which vitest's module runner cannot.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadContracts } from "@uns/contracts";
import { createStore } from "@uns/store";

const dir = process.argv[2];
if (!dir) throw new Error("usage: make-test-template.ts DIR");
const store = await createStore({ dataDir: dir });
await store.close();
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
await loadContracts(join(ROOT, "apps/server/test/fixtures/asyncapi"), {
  cacheDir: join(dir, "contract-cache", "fixtures"),
});
await loadContracts(join(ROOT, "asyncapi"), { cacheDir: join(dir, "contract-cache", "repo") });
