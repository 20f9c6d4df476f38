import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliasBomb, cyclicContract, hugeContract } from "../bench/src/hostile-docs.js";
import { eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

const TOPIC = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";

describe("hostile contracts at start fail fast with a clear error", () => {
  for (const [name, file, text, pattern] of [
    ["a $ref cycle", "cyclic.yaml", cyclicContract(), /cyclic\.yaml:\d+.*\$ref cycle/],
    ["an alias bomb", "bomb.yaml", aliasBomb(), /bomb\.yaml.*alias/],
    [
      "a $ref outside the folder",
      "out.yaml",
      cyclicContract().replace(/A: \{ \$ref: "[^"]+" \}/, 'A: { $ref: "../../../../etc/passwd" }'),
      /out\.yaml.*outside the contracts folder/,
    ],
  ] as const) {
    it(`refuses to start on ${name}`, async () => {
      const started = performance.now();
      const err = await startTestServer({}, (dir) => writeFileSync(join(dir, "asyncapi", file), text)).then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      expect(performance.now() - started).toBeLessThan(60_000);
      expect(err?.code).toBe("UNS_ERR_CONTRACTS_INVALID");
      expect(err?.message).toMatch(pattern);
    }, 90_000);
  }
});

describe("hostile contracts dropped into a running server", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  it("keeps acknowledging QoS 1 publishes while a cyclic, an exploding and a huge contract are refused", async () => {
    const pub = await t.connect("device", { clientId: "steady" });
    const latencies: number[] = [];
    let running = true;
    const pending: Promise<void>[] = [];
    const pace = (async () => {
      while (running) {
        const started = performance.now();
        pending.push(
          pub.publishAsync(TOPIC, JSON.stringify(weldSpot()), { qos: 1 }).then(() => {
            latencies.push(performance.now() - started);
          }),
        );
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const reloads = () =>
      t.api<{ reloads: { ok: boolean; message: string }[] }>("/api/v1/contracts").then((r) => r.body.reloads);
    const files = [
      ["cyclic.yaml", cyclicContract()],
      ["bomb.yaml", aliasBomb()],
      ["huge.yaml", hugeContract()],
    ] as const;
    try {
      // All three at once: one reload refuses them all (each named), the next restores.
      const before = (await reloads()).length;
      for (const [file, text] of files) writeFileSync(join(t.dir, "asyncapi", file), text);
      const list = await eventually(
        reloads,
        (r) => r.length > before && /huge\.yaml/.test(r.at(-1)!.message),
        90_000,
      );
      const refused = list.at(-1)!.message;
      expect(refused).toMatch(/cyclic\.yaml.*\$ref cycle/);
      expect(refused).toMatch(/bomb\.yaml.*alias/);
      expect(refused).toMatch(/huge\.yaml.*contracts\.maxFileBytes/);
      const count = list.length;
      for (const [file] of files) rmSync(join(t.dir, "asyncapi", file));
      await eventually(reloads, (r) => r.length > count && r.at(-1)!.ok, 90_000);
      // A fast machine refuses and restores within a second or two: publish on until the p99
      // has enough samples to mean something (a CI run had exactly 100 when reloading was done).
      await eventually(
        () => latencies.length,
        (n) => n >= 200,
        30_000,
      );
    } finally {
      running = false;
      await pace;
      await Promise.all(pending);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)]!;
    // The target is 50 ms (reload-latency.ts measures it); on a shared CI core the bound is
    // looser, but a hang (the cyclic file used to stop the broker for good) fails either way.
    expect(sorted.length).toBeGreaterThanOrEqual(200);
    expect(p99).toBeLessThan(250);
    expect(pub.connected).toBe(true);
  }, 240_000);
});
