import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeLoaderStandby, loadContractsIsolated } from "./isolated-loader.js";

/** Threads of this process (Linux): a loader left waiting is one more. */
const threads = () => readdirSync("/proc/self/task").length;

async function settle(done: (n: number) => boolean): Promise<number> {
  // A terminated worker's thread goes away shortly after terminate() resolves.
  for (let i = 0; i < 200 && !done(threads()); i++) await new Promise((r) => setTimeout(r, 50));
  return threads();
}

describe.runIf(process.platform === "linux")("contract loader standby (contracts.standbyLoader)", () => {
  let dir: string;
  beforeAll(async () => {
    // The first asynchronous file read starts libuv's thread pool (4 threads at once): before
    // any count, so only loader threads come and go.
    await readFile(import.meta.filename ?? new URL(import.meta.url).pathname);
    dir = mkdtempSync(join(tmpdir(), "uns-standby-"));
    writeFileSync(
      join(dir, "a.yaml"),
      "asyncapi: 3.0.0\ninfo: { title: a, version: 1.0.0 }\nchannels: {}\noperations: {}\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => closeLoaderStandby());

  it("leaves no thread behind after a load when standby is off", async () => {
    const before = threads();
    const r = await loadContractsIsolated(dir, { standby: false, timeoutMs: 120_000 });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(await settle((n) => n === before)).toBe(before);
  }, 240_000);

  it("keeps one loader thread waiting when standby is on (the default)", async () => {
    const before = threads();
    await loadContractsIsolated(dir, { timeoutMs: 120_000 });
    // The finished loader ends; its replacement waits. One thread more than before from dist/;
    // two under the tests, where the worker boots through tsx, whose module.register() starts a
    // loader-hooks thread of its own.
    expect(await settle((n) => n > before)).toBeGreaterThan(before);
    closeLoaderStandby();
    expect(await settle((n) => n === before)).toBe(before);
  }, 240_000);
});
