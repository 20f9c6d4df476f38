// Judging on the event loop: only the native checker's "valid" is taken, every judged message is
// counted once through a tally (like a worker's), and the budget keeps it off the loop under load.
import { fastPathStatus } from "@uns/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureGovernance, weldSpot } from "../../test/helper.js";
import { createInlineJudge } from "./inline-judge.js";
import { type BatchTally, FLAG_ENFORCE } from "./protocol.js";

const TOPIC = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const valid = Buffer.from(JSON.stringify(weldSpot()));
const invalid = Buffer.from(JSON.stringify(weldSpot({ currentKA: "high" })));
const native = fastPathStatus().native;
const turn = () => new Promise((r) => setImmediate(r));

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

  async function start(budgetPercent: number, fastPath: "auto" | "off" = "auto") {
    g = await fixtureGovernance();
    const tallies: BatchTally[] = [];
    const judge = createInlineJudge({
      budgetPercent,
      fastPath,
      payloadCapBytes: 100,
      onTally: (t) => tallies.push(t),
    });
    const snap = g.current;
    const channel = snap.matchChannel(TOPIC)!.channel;
    const offer = (payload: Buffer, flags = 0, topic = TOPIC) =>
      judge.judge(snap, channel, topic, "c1", "device", flags, Date.now(), payload);
    return { judge, tallies, offer };
  }

  it.skipIf(!native)("judges valid payloads here and counts each once, at the end of the turn", async () => {
    const { judge, tallies, offer } = await start(50);
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
  });

  it.skipIf(!native)("stops judging once the window's budget is spent, and while the rate stays high", async () => {
    // 1 % of a 100 ms window: 1 ms, a few hundred 4 KB weld spots at most.
    const { judge, tallies, offer } = await start(1);
    let here = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) if (offer(valid)) here++;
    expect(here).toBeGreaterThan(0);
    expect(here).toBeLessThan(n);
    await turn();
    expect(sumCounts(tallies).valid).toBe(here);
    expect(judge.stats().judged).toBe(here);
    // The next window: the last one's demand was far over the budget, so the workers keep it.
    await new Promise((r) => setTimeout(r, 110));
    let next = 0;
    for (let i = 0; i < 100; i++) if (offer(valid)) next++;
    expect(next).toBe(0);
    // Quiet for a while: back on the event loop.
    await new Promise((r) => setTimeout(r, 250));
    expect(offer(valid)).toBe(true);
  });

  it("never judges with a budget of 0 or with the fast path off", async () => {
    const off = await start(0);
    for (let i = 0; i < 10; i++) expect(off.offer(valid)).toBe(false);
    g?.close();
    const ajvOnly = await start(50, "off");
    for (let i = 0; i < 10; i++) expect(ajvOnly.offer(valid)).toBe(false);
    await turn();
    expect(off.tallies).toHaveLength(0);
    expect(ajvOnly.tallies).toHaveLength(0);
  });
});
