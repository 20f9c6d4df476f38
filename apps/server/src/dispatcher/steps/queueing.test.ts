// The queueing step against a real validation pool (real worker threads, the fixtures' contract).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureGovernance, weldSpot } from "../../../test/helper.js";
import type { BatchTally } from "../protocol.js";
import { createValidationPool, type ValidationPool } from "../validation-pool.js";
import { queueForVerdict, type Submission } from "./queueing.js";

const TOPIC = "acme/plant-b/body-shop/line-01/cell-01/weld-spot";
const silent = { warn: () => undefined, error: () => undefined };

describe("step 6: queueing", () => {
  let g: Awaited<ReturnType<typeof fixtureGovernance>>;
  let pool: ValidationPool;
  const tallies: BatchTally[] = [];
  const lost: string[] = [];
  beforeAll(async () => {
    g = await fixtureGovernance();
    pool = createValidationPool({
      size: 1,
      queueLength: 3,
      batchSize: 100,
      batchTimeoutMs: 10_000,
      logger: silent,
    });
    pool.connect({ onTally: (t) => tallies.push(t), onLost: (_m, reason) => lost.push(reason) });
    pool.setContracts(g.current.contractsJson);
    await pool.ready();
  });
  afterAll(async () => {
    await pool?.close();
    g?.close();
  });

  const submission = (
    payload: unknown,
    policy: "monitor" | "enforce",
    verdictBeforeAck = false,
  ): Submission => ({
    channel: "weldSpot",
    topic: TOPIC,
    clientId: "c1",
    username: null,
    policy,
    time: Date.now(),
    payload: Buffer.from(JSON.stringify(payload)),
    observe: false,
    verdictBeforeAck,
  });

  it("enforce: resolves with the verdict, true only for a valid message", async () => {
    const onFull = () => expect.fail("the queue has room");
    expect(await queueForVerdict(pool, submission(weldSpot(), "enforce"), onFull)).toBe(true);
    expect(await queueForVerdict(pool, submission({ spotId: 1 }, "enforce"), onFull)).toBe(false);
    expect(await queueForVerdict(pool, submission("not an object", "enforce"), onFull)).toBe(false);
  });

  it("monitor: nothing to wait for, unless the ack waits for the verdict", async () => {
    expect(queueForVerdict(pool, submission(weldSpot(), "monitor"), () => undefined)).toBeUndefined();
    // Monitor delivers even an invalid message: the awaited answer is still true.
    expect(await queueForVerdict(pool, submission({ spotId: 1 }, "monitor", true), () => undefined)).toBe(
      true,
    );
  });

  it("monitor beyond the queue is reported full; enforce waits for room and is judged", async () => {
    let full = 0;
    const enforced: Promise<boolean>[] = [];
    for (let i = 0; i < 6; i++) {
      queueForVerdict(pool, submission(weldSpot(), "monitor"), () => full++);
      const p = queueForVerdict(pool, submission(weldSpot(), "enforce"), () => expect.fail("enforce waits"));
      if (p) enforced.push(p);
    }
    expect(full).toBeGreaterThan(0);
    expect(await Promise.all(enforced)).toEqual(Array(6).fill(true));
    expect(lost).toEqual([]);
  });
});
