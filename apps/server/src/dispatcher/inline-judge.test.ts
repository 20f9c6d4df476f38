// Judging on the event loop: only the native checker's "valid" is taken, every judged message is
// counted once through a tally (like a worker's), and the rate limit keeps it off the loop under load.
import { fastPathStatus } from "@uns/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureGovernance, weldSpot } from "../../test/helper.js";
import { createInlineJudge } from "./inline-judge.js";
import { type BatchTally, FLAG_ENFORCE } from "./protocol.js";

const TOPIC = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const valid = Buffer.from(JSON.stringify(weldSpot()));
const invalid = Buffer.from(JSON.stringify(weldSpot({ currentKA: "high" })));
const native = fastPathStatus().native;
/** Longer than the inline judge's hand-over window. */
const turn = () => new Promise((r) => setTimeout(r, 30));

const sumCounts = (tallies: BatchTally[]) =>
  tallies.reduce(
    (s, t) => {
      for (const c of t.store?.counts ?? []) {
        s.valid += c.valid;
        s.invalid += c.invalid;
        s.unvalidated += c.unvalidated;
      }
      for (let i = 0; i < 6; i++) s.byPolicy[i]! += t.byPolicy[i]!;
      return s;
    },
    { valid: 0, invalid: 0, unvalidated: 0, byPolicy: [0, 0, 0, 0, 0, 0] },
  );

describe("inline judge", () => {
  let g: Awaited<ReturnType<typeof fixtureGovernance>> | undefined;
  afterEach(() => g?.close());

  async function start(maxPerSecond: number, fastPath: "auto" | "off" = "auto") {
    g = await fixtureGovernance();
    const tallies: BatchTally[] = [];
    const judge = createInlineJudge({
      maxPerSecond,
      fastPath,
      payloadCapBytes: 100,
      onTally: (t) => tallies.push(t),
    });
    const snap = g.current;
    const channel = snap.matchChannel(TOPIC)!.channel;
    const offer = (payload: Buffer, flags = 0, topic = TOPIC, time = Date.now()) =>
      judge.judge(snap, channel, topic, "c1", "device", flags, time, payload);
    return { judge, tallies, offer };
  }

  it.skipIf(!native)(
    "judges valid payloads here and counts each once, handed over within 10 ms",
    async () => {
      const { judge, tallies, offer } = await start(4000);
      expect(offer(valid)).toBe(true);
      expect(offer(valid, FLAG_ENFORCE)).toBe(true);
      // Not valid by the native checker: for the workers (ajv's error list), not counted here.
      expect(offer(invalid)).toBe(false);
      // A topic whose parameters the channel refuses: the workers report it.
      expect(offer(valid, 0, "globex/plant-a/body-shop/line-01/cell-01/weld-spot")).toBe(false);
      expect(tallies).toHaveLength(0);
      await turn();
      expect(tallies).toHaveLength(1);
      const s = sumCounts(tallies);
      expect(s).toMatchObject({ valid: 2, invalid: 0, unvalidated: 0, byPolicy: [1, 0, 0, 1, 0, 0] });
      expect(tallies[0]!.store!.lastMessages.map((l) => l.topic)).toEqual([TOPIC]);
      expect(judge.stats().judged).toBe(2);
    },
  );

  it.skipIf(!native)(
    "judges at most maxPerSecond: the rest, and all while the rate stays high, go to the workers",
    async () => {
      // 1,000 per second: 100 per window of 100 ms.
      const { judge, tallies, offer } = await start(1000);
      // Receipt times as the pipeline gives them, here chosen: 500 messages in one window.
      const t0 = Date.now() + 1000;
      let here = 0;
      for (let i = 0; i < 500; i++) if (offer(valid, 0, TOPIC, t0)) here++;
      expect(here).toBe(100);
      await turn();
      expect(sumCounts(tallies).valid).toBe(100);
      expect(judge.stats().judged).toBe(100);
      // The next window: the last one had 500, so the workers keep it.
      let next = 0;
      for (let i = 0; i < 50; i++) if (offer(valid, 0, TOPIC, t0 + 110)) next++;
      expect(next).toBe(0);
      // Quiet for a while: back on the event loop.
      expect(offer(valid, 0, TOPIC, t0 + 400)).toBe(true);
    },
  );

  it("never judges with a rate of 0 or with the fast path off", async () => {
    const off = await start(0);
    for (let i = 0; i < 10; i++) expect(off.offer(valid)).toBe(false);
    g?.close();
    const ajvOnly = await start(4000, "off");
    for (let i = 0; i < 10; i++) expect(ajvOnly.offer(valid)).toBe(false);
    await turn();
    expect(off.tallies).toHaveLength(0);
    expect(ajvOnly.tallies).toHaveLength(0);
  });
});
