import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helper.js";

/** contracts.cache: the server keeps parsed documents under dataDir, and only when asked to. */
describe("contract cache in the server", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("keeps one entry per document in dataDir/contract-cache (on by default)", async () => {
    t = await startTestServer();
    const dir = join(t.dir, "data", "contract-cache");
    const docs = readdirSync(join(t.dir, "asyncapi")).filter((n) => /\.(ya?ml|json)$/.test(n));
    expect(readdirSync(dir).filter((n) => n.endsWith(".json"))).toHaveLength(docs.length);
  }, 120_000);

  it("writes nothing with contracts.cache off", async () => {
    t = await startTestServer({ "contracts.cache": false });
    expect(existsSync(join(t.dir, "data", "contract-cache"))).toBe(false);
  }, 120_000);
});
