import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { loadContracts } from "./load-contracts.js";

// The worker runs this package's TypeScript sources through tsx: the code under test, not a
// build of it (production workers run dist/; see @uns/store's startWorker).
const source = new URL("./index.ts", import.meta.url).href;
const tsx = import.meta.resolve("tsx/esm/api");
const fixtures = fileURLToPath(new URL("../test-fixtures", import.meta.url));

describe("validation in a real worker thread", () => {
  it("validates with a ContractSet posted to the worker (structured clone)", async () => {
    const { set } = await loadContracts(join(fixtures, "asyncapi/good"));
    const dir = mkdtempSync(join(tmpdir(), "uns-worker-"));
    const script = join(dir, "worker.mjs");
    writeFileSync(
      script,
      `import { parentPort, workerData } from "node:worker_threads";
import { register } from ${JSON.stringify(tsx)};
register();
const { createValidator } = await import(${JSON.stringify(source)});
const validator = createValidator(workerData.set);
parentPort.on("message", ({ channel, topic, payload }) => {
  parentPort.postMessage(validator.validate(channel, topic, payload));
});
`,
    );
    const worker = new Worker(script, { workerData: { set } });
    try {
      const ask = (channel: string, topic: string, payload: unknown) =>
        new Promise((resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
          worker.postMessage({ channel, topic, payload: new TextEncoder().encode(JSON.stringify(payload)) });
        });
      const topic = "acme/neckarsulm/body-shop/line-01/cell-01/weld-spot";
      expect(
        await ask("weldSpot", topic, { spotId: "S1", current: 1, time: "2024-05-01T10:00:00Z" }),
      ).toEqual({ outcome: "valid", message: "spot" });
      expect(await ask("weldSpot", topic, { spotId: "S1" })).toMatchObject({
        outcome: "invalid",
        kind: "schema",
        message: "spot",
      });
      expect(
        await ask("recipe", "acme/neckarsulm/body-shop/line-01/recipe", { name: "a", steps: [{ name: 1 }] }),
      ).toMatchObject({ kind: "schema" });
    } finally {
      await worker.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
