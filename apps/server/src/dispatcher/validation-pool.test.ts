// The pool with real worker threads: workers count what they judge, and every submitted message
// is counted exactly once, by a worker's tally or as lost.
import { afterEach, describe, expect, it } from "vitest";
import { fixtureGovernance, weldSpot } from "../../test/helper.js";
import { type BatchTally, FLAG_ENFORCE, FLAG_OBSERVE, VERDICT_INVALID, VERDICT_VALID } from "./protocol.js";
import { createValidationPool, type ValidationPool } from "./validation-pool.js";

const TOPIC = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const silent = { warn: () => undefined, error: () => undefined };
const valid = Buffer.from(JSON.stringify(weldSpot()));
const invalid = Buffer.from(JSON.stringify(weldSpot({ currentKA: "high" })));

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("validation pool", () => {
  let g: Awaited<ReturnType<typeof fixtureGovernance>> | undefined;
  let pool: ValidationPool | undefined;
  afterEach(async () => {
    await pool?.close();
    g?.close();
  });

  async function start(batchWindowMs: number, queueMaxBytes?: number) {
    g = await fixtureGovernance();
    const tallies: BatchTally[] = [];
    const lost: string[] = [];
    const judged: number[] = [];
    pool = createValidationPool({
      size: 2,
      queueLength: 10_000,
      queueMaxBytes,
      batchSize: 500,
      batchTimeoutMs: 10_000,
      batchWindowMs,
      payloadCapBytes: 100,
      logger: silent,
    });
    pool.connect({
      onTally: (t) => tallies.push(t),
      onLost: (_m, reason) => lost.push(reason),
      onJudged: (_c, _t, _p, _time, v) => judged.push(v),
    });
    pool.setContracts(g.current.contractsJson);
    await pool.ready();
    return { pool, tallies, lost, judged };
  }

  it("collects monitor messages of one window into one batch and counts them in the worker", async () => {
    const { pool, tallies, lost } = await start(200);
    const t0 = Date.now();
    // 30 < the share threshold: one worker takes them all (one thread woken).
    for (let i = 0; i < 30; i++)
      expect(
        pool.submit("weldSpot", TOPIC, `c${i % 4}`, null, 0, t0, i % 10 === 0 ? invalid : valid, null),
      ).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(tallies).toHaveLength(0); // still inside the window
    await expect.poll(() => tallies.length, { timeout: 5000 }).toBe(1);
    const t = tallies[0]!;
    expect(t.byPolicy).toEqual([27, 3, 0, 0, 0, 0]);
    expect(sum(t.store!.counts.map((c) => c.valid))).toBe(27);
    expect(sum(t.store!.counts.map((c) => c.invalid))).toBe(3);
    expect(t.store!.outcomes).toBe(30);
    expect(t.store!.publishers.map((p) => p.clientId).sort()).toEqual(["c0", "c1", "c2", "c3"]);
    // Violations carry their capped payload; the live counts and the histogram add up too.
    expect(t.store!.violations).toHaveLength(3);
    expect(t.store!.violations[0]!.payload.byteLength).toBe(100);
    expect(sum(t.seconds.filter((_, i) => i % 4 !== 0))).toBe(30);
    expect(sum(t.latencyBuckets)).toBe(30);
    expect(lost).toEqual([]);
  });

  it("hands over at once what someone waits for, and reports verdicts and observed messages", async () => {
    const { pool, tallies, judged } = await start(10_000);
    const verdicts: number[] = [];
    pool.submit("weldSpot", TOPIC, "c", null, FLAG_ENFORCE | FLAG_OBSERVE, Date.now(), valid, (v) =>
      verdicts.push(v),
    );
    pool.submit("weldSpot", TOPIC, "c", null, FLAG_ENFORCE, Date.now(), invalid, (v) => verdicts.push(v));
    await expect.poll(() => verdicts, { timeout: 5000 }).toEqual([VERDICT_VALID, VERDICT_INVALID]);
    expect(judged).toEqual([VERDICT_VALID]);
    expect(sum(tallies.map((t) => t.byPolicy[3]! + t.byPolicy[4]!))).toBe(2);
  });

  it("answers a dry run in full without counting it", async () => {
    const { pool, tallies, lost } = await start(10_000);
    const verdict = await pool.check("weldSpot", TOPIC, invalid);
    expect(verdict).toMatchObject({ outcome: "invalid", kind: "schema" });
    expect(verdict.outcome === "invalid" && verdict.errors.length).toBeGreaterThan(0);
    expect(await pool.check("weldSpot", TOPIC, valid)).toMatchObject({ outcome: "valid" });
    expect(sum(tallies.flatMap((t) => t.byPolicy))).toBe(0);
    expect(tallies.every((t) => t.store === null)).toBe(true);
    expect(lost).toEqual([]);
  });

  it("refuses what would take the queue over workers.queueMaxBytes, and makes enforced traffic wait", async () => {
    // Room for three payloads and a little; the long window keeps monitor messages in the queue.
    const { pool, tallies, lost } = await start(60_000, valid.byteLength * 3 + 10);
    for (let i = 0; i < 3; i++)
      expect(pool.submit("weldSpot", TOPIC, "c", null, 0, Date.now(), valid, null)).toBe(true);
    expect(pool.stats()).toMatchObject({ queued: 3, queuedBytes: valid.byteLength * 3 });
    // Far below queueLength (10,000), but over the byte bound: refused, as a full queue is.
    expect(pool.submit("weldSpot", TOPIC, "c", null, 0, Date.now(), valid, null)).toBe(false);
    expect(pool.check("weldSpot", TOPIC, valid)).toBeUndefined();
    // A payload that still fits (2 bytes of the 10 left) goes in.
    expect(pool.submit("weldSpot", TOPIC, "c", null, 0, Date.now(), Buffer.from("{}"), null)).toBe(true);
    let room = false;
    void pool.whenSpace(valid.byteLength).then(() => {
      room = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(room).toBe(false);
    // Once the workers have judged what waited, the waiting publisher is let through.
    pool.drain();
    await expect.poll(() => room, { timeout: 5000 }).toBe(true);
    expect(pool.stats()).toMatchObject({ queued: 0, queuedBytes: 0, inFlightBytes: 0 });
    expect(sum(tallies.flatMap((t) => t.byPolicy))).toBe(4);
    expect(lost).toEqual([]);
  });

  it("lets a message larger than workers.queueMaxBytes in when nothing else waits", async () => {
    const { pool, tallies } = await start(60_000, 16);
    expect(valid.byteLength).toBeGreaterThan(16);
    expect(pool.submit("weldSpot", TOPIC, "c", null, 0, Date.now(), valid, null)).toBe(true);
    expect(pool.submit("weldSpot", TOPIC, "c", null, 0, Date.now(), Buffer.from("{}"), null)).toBe(false);
    pool.drain();
    await expect.poll(() => tallies.length, { timeout: 5000 }).toBe(1);
    await expect.poll(() => pool.stats().inFlight, { timeout: 5000 }).toBe(0);
    expect(pool.submit("weldSpot", TOPIC, "c", null, 0, Date.now(), valid, null)).toBe(true);
  });

  it("counts what it could not hand over as lost when it closes, once", async () => {
    const { pool, tallies, lost } = await start(10_000);
    for (let i = 0; i < 5; i++) pool.submit("weldSpot", TOPIC, "c", null, 0, Date.now(), valid, null);
    await pool.close();
    expect(lost).toEqual(Array(5).fill("server stopping"));
    expect(tallies).toHaveLength(0);
  });
});
