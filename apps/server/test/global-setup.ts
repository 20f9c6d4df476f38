/**
 * vitest global setup: what every test server would make at start (an initialised, migrated
 * embedded database; the parsed contracts), made once for the run and copied by the test
 * helpers (@uns/testkit `seedDataDir`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
// A relative import of the source: the global setup does not get the "source" condition the
// tests run with, and the package's dist may be older than its source.
import { DATA_TEMPLATE } from "../../../libs/testkit/src/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    [DATA_TEMPLATE]: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "uns-test-template-"));
  const script = fileURLToPath(new URL("./make-test-template.ts", import.meta.url));
  // "tsx" resolves from the repository root, vitest's working directory (the module runner that
  // loads this file has no import.meta.resolve).
  execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", script, dir], {
    cwd: fileURLToPath(new URL("../../../", import.meta.url)),
    stdio: ["ignore", "ignore", "inherit"],
  });
  project.provide(DATA_TEMPLATE, dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
