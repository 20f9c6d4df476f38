import { describe, expect, it } from "vitest";
import type { SparkplugRule } from "../rules.js";
import { checkSeq, expireGaps } from "./seq.js";
import { createTrackerState, type Msg, newAcc, nodeFor } from "./state.js";

// The reorder window on its own, without topics or payloads: the boundaries of the modulo-256
// arithmetic are hard to reach through whole messages.
const T0 = 1_800_000_000_000;

function setup(reorderWindowMs = 1000) {
  const tr = createTrackerState({ reorderWindowMs, rebirthMinIntervalMs: 5000, now: () => T0 });
  const node = nodeFor(tr, "Plant1", "Welder01");
  node.online = true;
  node.born = true;
  const flagged: SparkplugRule[] = [];
  const msg = (seq: number, time = T0): Msg => ({
    t: { namespace: "spBv1.0", type: "NDATA", group: "Plant1", edgeNode: "Welder01" },
    msg: { topic: "spBv1.0/Plant1/NDATA/Welder01", payload: new Uint8Array([seq]), qos: 0, retain: false },
    time,
    clientId: "welder-01",
    payload: { seq, metrics: [] },
    seq,
    flag: (rule) => flagged.push(rule),
  });
  return { tr, node, flagged, msg };
}

describe("tracker/seq", () => {
  it("opens one reorder window per missing seq across the 255 -> 0 wrap, and closes it when they arrive", () => {
    const { tr, node, flagged, msg } = setup();
    node.expectedSeq = 254;
    const acc = newAcc();
    checkSeq(tr, node, msg(1), acc);
    expect([...node.pending.keys()].sort((a, b) => a - b)).toEqual([0, 254, 255]);
    expect(node.expectedSeq).toBe(2);
    expect(tr.timed.has(node)).toBe(true);
    for (const late of [255, 0, 254]) checkSeq(tr, node, msg(late), acc);
    expect(node.pending.size).toBe(0);
    expect(tr.timed.has(node)).toBe(false);
    expect(flagged).toEqual([]);
    expect(acc.violations).toEqual([]);
  });

  it("treats 127 ahead as a gap and 128 ahead as a repeated or old seq", () => {
    const a = setup();
    a.node.expectedSeq = 200;
    checkSeq(a.tr, a.node, a.msg((200 + 127) % 256), newAcc());
    expect(a.node.pending.size).toBe(127);
    expect(a.flagged).toEqual([]);

    const b = setup();
    b.node.expectedSeq = 200;
    checkSeq(b.tr, b.node, b.msg((200 + 128) % 256), newAcc());
    expect(b.node.pending.size).toBe(0);
    expect(b.flagged).toEqual(["seq-order"]);
    // The counter is not moved by a seq it rejected.
    expect(b.node.expectedSeq).toBe(200);
  });

  it("reports an expired window once, naming every missing seq, and asks for one rebirth", () => {
    const { tr, node, msg } = setup(1000);
    node.expectedSeq = 10;
    checkSeq(tr, node, msg(13), newAcc());
    const early = newAcc();
    expireGaps(tr, node, T0 + 999, early);
    expect(early.violations).toEqual([]);
    const due = newAcc();
    expireGaps(tr, node, T0 + 1000, due);
    expect(due.violations.map((v) => v.rule)).toEqual(["seq-gap"]);
    expect(due.violations[0]!.message).toContain("expected seq 10, 11, 12 before seq 13");
    expect(due.rebirths.map((r) => r.reason)).toEqual(["seq-gap"]);
    expect(node.pending.size).toBe(0);
    expect(tr.timed.has(node)).toBe(false);
  });

  it("with a zero window, a gap is a violation at once", () => {
    const { tr, node, msg } = setup(0);
    node.expectedSeq = 5;
    const acc = newAcc();
    checkSeq(tr, node, msg(7), acc);
    expect(acc.violations.map((v) => v.rule)).toEqual(["seq-gap"]);
    expect(acc.rebirths).toHaveLength(1);
    expect(node.pending.size).toBe(0);
  });
});
